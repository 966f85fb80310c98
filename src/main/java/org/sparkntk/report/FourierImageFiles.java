package org.sparkntk.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.sparkntk.config.ConfigKeys;
import org.sparkntk.config.JobConfig;
import org.sparkntk.data.Images;
import org.sparkntk.io.JobOutputs;
import org.sparkntk.io.OutputFiles;
import org.sparkntk.io.Plots;
import org.sparkntk.model.InputMapping;

/**
 * The image report's files: psnr.csv and psnr.json, a reconstruction_*.png grid per image, and
 * spectra.png.
 */
final class FourierImageFiles {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private FourierImageFiles() {}

  /** reconstruction_<image name>.png, the name reduced to letters, digits, '_' and '-'. */
  static String reconstructionFile(Images.Rgb image) {
    return reconstructionFile(image.name());
  }

  static String reconstructionFile(String imageName) {
    return "reconstruction_" + imageName.replaceAll("[^A-Za-z0-9_-]", "_") + ".png";
  }

  static String fmt(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  static void write(OutputFiles out, JobConfig config, List<Images.Rgb> images,
                    List<FourierImageReport.MappingSpec> mappings, FourierImageReport.Result result,
                    List<double[][]> reconstructions) {
    try {
      out.write("psnr.csv", f -> {
        try (BufferedWriter w = Files.newBufferedWriter(f, StandardCharsets.UTF_8)) {
          w.write("image,mapping,scale,test_psnr_db,train_psnr_db\n");
          for (FourierImageReport.Score s : result.scores()) {
            w.write(String.format(Locale.ROOT, "%s,%s,%s,%.4f,%.4f%n", s.image(), s.mapping().kind().configName(),
                s.mapping().kind() == InputMapping.Kind.NONE || s.mapping().kind() == InputMapping.Kind.BASIC ? ""
                    : fmt(s.mapping().scale()), s.testPsnr(), s.trainPsnr()));
          }
        }
      });
      for (int k = 0; k < images.size(); k++) {
        BufferedImage grid = grid(images.get(k), k, mappings, result, reconstructions);
        out.write(reconstructionFile(images.get(k)), f -> ImageIO.write(grid, "png", f.toFile()));
      }
      List<Plots.Series> series = new ArrayList<>();
      for (int i = 0; i < mappings.size(); i++) {
        double[] ev = result.spectra().get(i);
        List<double[]> positive = new ArrayList<>();
        for (int j = 0; j < ev.length; j++) {
          if (ev[j] > 0) {
            positive.add(new double[] {j + 1, ev[j]});
          }
        }
        series.add(new Plots.Series(mappings.get(i).label(), positive.stream().mapToDouble(p -> p[0]).toArray(),
            positive.stream().mapToDouble(p -> p[1]).toArray(), true));
      }
      out.write("spectra.png", Plots.xy("NTK eigenvalues of the " + result.side() / 2 + "² training pixels",
          "index k", "eigenvalue λ_k (positive ones)", true, series.toArray(Plots.Series[]::new)));
      ObjectNode root = JSON.createObjectNode();
      root.put("imageSize", result.side());
      root.put("trainingPixels", result.side() * result.side() / 4);
      root.put("testPixels", 3 * result.side() * result.side() / 4);
      root.put("kernel", config.get(ConfigKeys.KERNEL_TYPE));
      root.put("solver", config.get(ConfigKeys.SOLVER_TYPE));
      root.put("features", config.get(ConfigKeys.INPUT_FEATURES));
      ArrayNode rows = root.putArray("scores");
      for (FourierImageReport.Score s : result.scores()) {
        ObjectNode o = rows.addObject();
        o.put("image", s.image());
        o.put("mapping", s.mapping().kind().configName());
        o.put("scale", s.mapping().scale());
        o.put("testPsnr", s.testPsnr());
        o.put("trainPsnr", s.trainPsnr());
      }
      ArrayNode runs = root.putArray("runs");
      for (FourierImageReport.MappingRun r : result.runs()) {
        ObjectNode o = runs.addObject();
        o.put("mapping", r.mapping().kind().configName());
        o.put("scale", r.mapping().scale());
        o.put("route", r.route());
        o.put("seconds", r.seconds());
        r.diagnostics().forEach((key, value) -> o.set(key, JobOutputs.json(value)));
      }
      JobOutputs.putSettings(root, config);
      out.write("psnr.json", f -> JSON.writeValue(f.toFile(), root));
      out.finish();
    } catch (IOException e) {
      throw new UncheckedIOException("writing the image report to " + out.location() + " failed: " + e.getMessage(), e);
    }
  }

  /** Original and every reconstruction side by side, each scaled ×2, with its PSNR underneath. */
  static BufferedImage grid(Images.Rgb image, int k, List<FourierImageReport.MappingSpec> mappings,
                            FourierImageReport.Result result, List<double[][]> reconstructions) {
    int side = image.side();
    int zoom = side < 256 ? 2 : 1;
    int cell = side * zoom;
    int pad = 8;
    int caption = 34;
    int panels = 1 + mappings.size();
    BufferedImage out = new BufferedImage(panels * (cell + pad) + pad, cell + caption + 2 * pad,
        BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, out.getWidth(), out.getHeight());
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
      for (int p = 0; p < panels; p++) {
        double[] pixels = p == 0 ? image.pixels() : reconstructions.get(p - 1)[k];
        int x = pad + p * (cell + pad);
        g.drawImage(Images.toBufferedImage(side, pixels), x, pad, cell, cell, null);
        String title = p == 0 ? "original" : mappings.get(p - 1).label();
        g.drawString(title, x, pad + cell + 14);
        if (p > 0) {
          double psnr = result.scores().get((p - 1) * reconstructions.get(0).length + k).testPsnr();
          g.drawString(String.format(Locale.ROOT, "%.2f dB", psnr), x, pad + cell + 29);
        }
      }
    } finally {
      g.dispose();
    }
    return out;
  }
}
