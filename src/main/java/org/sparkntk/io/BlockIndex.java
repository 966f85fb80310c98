package org.sparkntk.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;

/**
 * {@code index.json} of a kernel written as block files ({@code output.gram = true} on the
 * distributed backend: {@code gram/} and {@code cross/}), written by the driver after every block
 * file, so that a directory whose index exists lists complete files:
 * <pre>{@code
 * { "format": "spark-ntk-kernel-blocks", "version": 1, "kernel": "training Gram",
 *   "rows": N·k, "cols": N·k, "rowExamples": N, "colExamples": N, "rowsPerExample": k,
 *   "dtype": "<f8", "blockSize": b, "symmetric": true,
 *   "blocks": [ { "row": I, "col": J, "rowStart": …, "rows": …, "colStart": …, "cols": …, "file": "I-J.npy" }, … ] }
 * }</pre>
 * rowStart / colStart and rows / cols are in matrix rows (examples × k). With {@code symmetric}
 * only the blocks I ≤ J are there, and Θ_JI = Θ_IJᵀ.
 */
public final class BlockIndex {
  public static final String FILE = "index.json";
  public static final String FORMAT = "spark-ntk-kernel-blocks";
  public static final int VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private BlockIndex() {}

  /** One block file: block (row, col) at matrix rows rowStart… and columns colStart…. */
  public record Block(int row, int col, long rowStart, int rows, long colStart, int cols, String file) {}

  /** What the index says of the whole matrix. */
  public record Matrix(String kernel, long rowExamples, long colExamples, int rowsPerExample, String dtype,
                       int blockSize, boolean symmetric) {}

  /** Writes {@code directory/index.json} through {@code out} (recorded for the manifest). */
  public static void write(OutputFiles out, String directory, Matrix m, List<Block> blocks) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", FORMAT);
    root.put("version", VERSION);
    root.put("kernel", m.kernel());
    root.put("rows", m.rowExamples() * m.rowsPerExample());
    root.put("cols", m.colExamples() * m.rowsPerExample());
    root.put("rowExamples", m.rowExamples());
    root.put("colExamples", m.colExamples());
    root.put("rowsPerExample", m.rowsPerExample());
    root.put("dtype", m.dtype());
    root.put("blockSize", m.blockSize());
    root.put("symmetric", m.symmetric());
    ArrayNode list = root.putArray("blocks");
    for (Block b : blocks) {
      ObjectNode e = list.addObject();
      e.put("row", b.row());
      e.put("col", b.col());
      e.put("rowStart", b.rowStart());
      e.put("rows", b.rows());
      e.put("colStart", b.colStart());
      e.put("cols", b.cols());
      e.put("file", b.file());
    }
    out.write(directory + "/" + FILE, f -> JSON.writeValue(f.toFile(), root));
  }
}
