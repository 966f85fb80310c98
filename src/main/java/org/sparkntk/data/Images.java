package org.sparkntk.data;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * RGB images as regression data (Tancik et al. 2020 §5: pixel coordinates → colour): reading
 * and square resampling of image files (ImageIO: PNG, JPEG, GIF, BMP), a rendered-text image,
 * and the PSNR of a reconstruction. An image is row-major [side × side × 3] in [0, 1].
 */
public final class Images {
  private Images() {}

  /** An RGB image with values in [0, 1], row-major [side][side][3]. */
  public record Rgb(String name, int side, double[] pixels) {
    public Rgb {
      if (pixels.length != 3L * side * side) {
        throw new IllegalArgumentException("expected " + 3L * side * side + " values for a " + side + "² RGB image");
      }
    }

    public double get(int row, int col, int channel) {
      return pixels[(row * side + col) * 3 + channel];
    }
  }

  /**
   * Reads an image file, takes its central square and resamples it to side × side by area
   * averaging (each output pixel the mean of the source pixels it covers, fractionally weighted),
   * which does not alias however large the reduction.
   */
  public static Rgb read(Path file, int side) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("image " + file + " not found (the photograph of conf/fourier-image.conf comes from "
          + "Debian's python-matplotlib-data package)");
    }
    BufferedImage img = ImageIO.read(file.toFile());
    if (img == null) {
      throw new IOException("image " + file + ": not a format ImageIO reads (PNG, JPEG, GIF, BMP)");
    }
    int size = Math.min(img.getWidth(), img.getHeight());
    int x0 = (img.getWidth() - size) / 2;
    int y0 = (img.getHeight() - size) / 2;
    return new Rgb(file.getFileName().toString(), side, areaAverage(img, x0, y0, size, side));
  }

  private static double[] areaAverage(BufferedImage img, int x0, int y0, int size, int side) {
    if (side < 1 || side > size) {
      throw new IllegalArgumentException("cannot resample a " + size + "-pixel square to " + side + " pixels");
    }
    double scale = (double) size / side;
    double[] out = new double[3 * side * side];
    for (int r = 0; r < side; r++) {
      double top = r * scale;
      double bottom = top + scale;
      for (int c = 0; c < side; c++) {
        double left = c * scale;
        double right = left + scale;
        double[] sum = new double[3];
        double area = 0;
        for (int y = (int) top; y < Math.ceil(bottom); y++) {
          double wy = Math.min(bottom, y + 1) - Math.max(top, y);
          for (int x = (int) left; x < Math.ceil(right); x++) {
            double w = wy * (Math.min(right, x + 1) - Math.max(left, x));
            int rgb = img.getRGB(x0 + x, y0 + y);
            sum[0] += w * ((rgb >> 16) & 0xff);
            sum[1] += w * ((rgb >> 8) & 0xff);
            sum[2] += w * (rgb & 0xff);
            area += w;
          }
        }
        for (int ch = 0; ch < 3; ch++) {
          out[(r * side + c) * 3 + ch] = sum[ch] / (255.0 * area);
        }
      }
    }
    return out;
  }

  /**
   * An image of coloured text on white, rendered by the program (Tancik et al.'s second image
   * class): lines of text in several colours and sizes, drawn anti-aliased at 4× and area-averaged
   * down, so the edges are sharp but not aliased. Deterministic for a given side.
   */
  public static Rgb renderedText(int side) {
    int big = 4 * side;
    BufferedImage img = new BufferedImage(big, big, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, big, big);
      String[] lines = {"Neural", "Tangent", "Kernel", "Θ = J Jᵀ"};
      Color[] colours = {new Color(0x1f3b8c), new Color(0xc0392b), new Color(0x1e8449), new Color(0x7d3c98)};
      float[] sizes = {0.19f, 0.17f, 0.20f, 0.16f};
      int y = (int) (0.05 * big);
      for (int i = 0; i < lines.length; i++) {
        g.setFont(new Font(Font.SANS_SERIF, i % 2 == 0 ? Font.BOLD : Font.PLAIN, Math.round(sizes[i] * big)));
        g.setColor(colours[i]);
        y += g.getFontMetrics().getAscent();
        g.drawString(lines[i], (int) (0.06 * big), y);
        y += (int) (0.05 * big);
      }
    } finally {
      g.dispose();
    }
    return new Rgb("text", side, areaAverage(img, 0, 0, big, side));
  }

  /**
   * PSNR = −10 log10(MSE) in dB with pixel values in [0, 1] (Tancik et al.), over the listed
   * pixels and all three channels; identical images give +∞.
   */
  public static double psnr(double[] reference, double[] estimate) {
    if (reference.length != estimate.length || reference.length == 0) {
      throw new IllegalArgumentException("PSNR needs two non-empty images of equal size, got " + reference.length
          + " and " + estimate.length + " values");
    }
    double mse = 0;
    for (int i = 0; i < reference.length; i++) {
      double d = reference[i] - estimate[i];
      mse += d * d;
    }
    mse /= reference.length;
    return -10.0 * Math.log10(mse);
  }

  /** A [side × side × 3] image in [0, 1] (values clipped) as a TYPE_INT_RGB image. */
  public static BufferedImage toBufferedImage(int side, double[] pixels) {
    BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
    for (int r = 0; r < side; r++) {
      for (int c = 0; c < side; c++) {
        int rgb = 0;
        for (int ch = 0; ch < 3; ch++) {
          double v = Math.max(0.0, Math.min(1.0, pixels[(r * side + c) * 3 + ch]));
          rgb = (rgb << 8) | (int) Math.round(255 * v);
        }
        img.setRGB(c, r, rgb);
      }
    }
    return img;
  }
}
