package org.sparkntk.output;

import java.awt.BasicStroke;
import java.awt.Color;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** PNG plots of the reports, drawn with JFreeChart. */
public final class Plots {
  private Plots() {}

  /**
   * A base-10 axis labelled with plain numbers (64, 0.05) rather than powers such as 10^1.8, or in
   * scientific notation (1E-12) when the values reach beyond 1e-4 … 1e6, where plain labels would read 0;
   * ticks at the powers of ten when the values span two decades or more.
   */
  private static LogAxis logAxis(String label, Series[] series, boolean x) {
    double min = Double.POSITIVE_INFINITY;
    double max = 0;
    for (Series s : series) {
      for (double v : x ? s.x() : s.y()) {
        if (v > 0) {
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
      }
    }
    LogAxis axis = new LogAxis(label);
    axis.setNumberFormatOverride(new java.text.DecimalFormat(min >= 1e-4 && max <= 1e6 ? "0.####" : "0.#E0"));
    double decades = Math.log10(max / min);
    if (decades >= 2) {
      // Two decades or more: ticks at powers of ten (10^3.5 would read 3162.2777), at most about 8.
      axis.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(Math.ceil(decades / 8)), false, true);
    }
    return axis;
  }

  /** A series of points, drawn as markers ({@code line = false}) or as a line. */
  public record Series(String name, double[] x, double[] y, boolean line) {}

  /**
   * An x–y plot, both axes logarithmic when {@code logLog}: the writer of its PNG, for
   * {@link OutputFiles#write} (or {@link AtomicFiles#write}).
   */
  public static AtomicFiles.Writer xy(String title, String xLabel, String yLabel, boolean logLog, Series... series) {
    return xy(title, xLabel, yLabel, logLog, logLog, series);
  }

  /** An x–y plot with each axis logarithmic or linear: the writer of its PNG. */
  public static AtomicFiles.Writer xy(String title, String xLabel, String yLabel, boolean logX, boolean logY,
                                      Series... series) {
    XYSeriesCollection data = new XYSeriesCollection();
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer();
    // matplotlib's "tab10" order, so that up to ten series keep distinct colours
    Color[] colours = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd),
        new Color(0xff7f0e), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22),
        new Color(0x17becf)};
    for (int s = 0; s < series.length; s++) {
      XYSeries xy = new XYSeries(series[s].name(), false, true);
      for (int i = 0; i < series[s].x().length; i++) {
        xy.add(series[s].x()[i], series[s].y()[i]);
      }
      data.addSeries(xy);
      renderer.setSeriesLinesVisible(s, series[s].line());
      renderer.setSeriesShapesVisible(s, !series[s].line());
      Color c = colours[s % colours.length];
      // Markers small and translucent: the renderer draws every line before any marker, so a line
      // (e.g. the analytic limit) must stay visible through the clouds of points around it.
      renderer.setSeriesPaint(s, series[s].line() ? c : new Color(c.getRed(), c.getGreen(), c.getBlue(), 110));
      renderer.setSeriesShape(s, new java.awt.geom.Ellipse2D.Double(-2.5, -2.5, 5, 5));
      renderer.setSeriesStroke(s, new BasicStroke(3f));
    }
    XYPlot plot = new XYPlot(data, logX ? logAxis(xLabel, series, true) : new NumberAxis(xLabel),
        logY ? logAxis(yLabel, series, false) : new NumberAxis(yLabel), renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    return f -> ChartUtils.saveChartAsPNG(f.toFile(), chart, 800, 560);
  }
}
