package org.sparkntk.io;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.math.BigDecimal;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.List;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.LogTick;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.TickType;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** PNG plots of the reports, drawn with JFreeChart. */
public final class Plots {
  private Plots() {}

  /**
   * A base-10 axis labelled with plain numbers (64, 0.05) rather than powers such as 10^1.8, or in
   * scientific notation (1E-12) when the values reach beyond 1e-4 … 1e6, where plain labels would read 0;
   * ticks at the powers of ten when the values span two decades or more, and at the round values of
   * {@link #roundLogTicks} when they span less.
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
    RoundLogAxis axis = new RoundLogAxis(label);
    axis.setNumberFormatOverride(new DecimalFormat(min >= 1e-4 && max <= 1e6 ? "0.####" : "0.#E0"));
    double decades = Math.log10(max / min);
    if (decades >= 2) {
      // Two decades or more: ticks at powers of ten (10^3.5 would read 3162.2777), at most about 8.
      axis.setTickUnit(new NumberTickUnit(Math.ceil(decades / 8)), false, true);
    } else {
      axis.roundTicks = true;
    }
    return axis;
  }

  /**
   * Round tick values for a logarithmic axis from {@code lower} to {@code upper} spanning less than two
   * decades, where LogAxis's own ticks, evenly spaced in log10, read 63.0957, 100, 158.4893: the values
   * m·10^k in the range for the sparsest mantissa set m ∈ {1, 2, 5}, then m ∈ {1, …, 9}, that gives at
   * least three ticks (1-2-5 is one of R's log-axis tick sets, ?par: xaxp); for a range holding fewer
   * than three of either (e.g. 123 … 129), the multiples in range of a linear step 1, 2, 2.5 or 5 × 10^k.
   */
  public static double[] roundLogTicks(double lower, double upper) {
    if (!(lower > 0 && upper > lower) || Double.isInfinite(upper)) {
      throw new IllegalArgumentException("a log axis needs 0 < lower < upper, got " + lower + " … " + upper);
    }
    for (int[] mantissas : new int[][] {{1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}}) {
      List<Double> ticks = new ArrayList<>();
      for (int k = (int) Math.floor(Math.log10(lower)); k <= (int) Math.ceil(Math.log10(upper)); k++) {
        for (int m : mantissas) {
          // m·10^k as a decimal literal would read it: parse "me k" instead of m × 10^k, whose rounding
          // (3 × 0.1 = 0.30000000000000004) would leak into the labels' last digit.
          double v = Double.parseDouble(m + "e" + k);
          if (v >= lower && v <= upper) {
            ticks.add(v);
          }
        }
      }
      if (ticks.size() >= 3) {
        return ticks.stream().mapToDouble(Double::doubleValue).toArray();
      }
    }
    // the largest step 1, 2, 2.5 or 5 × 10^k not above a quarter of the range: at least four ticks, and
    // (consecutive steps differ by at most 2×) at most nine
    double raw = (upper - lower) / 4;
    int k = (int) Math.floor(Math.log10(raw));
    double step = Double.parseDouble("1e" + k);
    for (double m : new double[] {2, 2.5, 5}) {
      double candidate = Double.parseDouble(m + "e" + k);
      if (candidate <= raw) {
        step = candidate;
      }
    }
    List<Double> ticks = new ArrayList<>();
    for (long i = (long) Math.ceil(lower / step); i * step <= upper; i++) {
      // i·step rounded to the step's own decimals, again so that labels do not carry rounding noise
      ticks.add(new BigDecimal(i).multiply(BigDecimal.valueOf(step)).doubleValue());
    }
    return ticks.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** A LogAxis that, for ranges under two decades, puts its ticks at {@link #roundLogTicks}. */
  static final class RoundLogAxis extends LogAxis {
    private static final long serialVersionUID = 1L;
    boolean roundTicks;

    RoundLogAxis(String label) {
      super(label);
    }

    @Override
    @SuppressWarnings("rawtypes") // JFreeChart's own signature returns a raw List
    protected List refreshTicksHorizontal(Graphics2D g2, Rectangle2D dataArea,
                                                    RectangleEdge edge) {
      return roundTicks ? roundTicks(edge == RectangleEdge.TOP ? TextAnchor.BOTTOM_CENTER : TextAnchor.TOP_CENTER)
          : super.refreshTicksHorizontal(g2, dataArea, edge);
    }

    @Override
    @SuppressWarnings("rawtypes") // JFreeChart's own signature returns a raw List
    protected List refreshTicksVertical(Graphics2D g2, Rectangle2D dataArea,
                                                  RectangleEdge edge) {
      return roundTicks ? roundTicks(edge == RectangleEdge.RIGHT ? TextAnchor.CENTER_LEFT : TextAnchor.CENTER_RIGHT)
          : super.refreshTicksVertical(g2, dataArea, edge);
    }

    private List<LogTick> roundTicks(TextAnchor anchor) {
      List<LogTick> ticks = new ArrayList<>();
      for (double v : roundLogTicks(getLowerBound(), getUpperBound())) {
        ticks.add(new LogTick(TickType.MAJOR, v, createTickLabel(v), anchor));
      }
      return ticks;
    }
  }

  /**
   * A series of points, drawn as markers ({@code line = false}) or as a line, in colour {@code colour} of
   * the palette (tab10), or for {@code colour} < 0 in the colour of its position among the plot's series.
   */
  public record Series(String name, double[] x, double[] y, boolean line, int colour) {
    /** A series in the colour of its position. */
    public Series(String name, double[] x, double[] y, boolean line) {
      this(name, x, y, line, -1);
    }
  }

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
    JFreeChart chart = chart(title, xLabel, yLabel, logX, logY, series);
    return f -> ChartUtils.saveChartAsPNG(f.toFile(), chart, 800, 560);
  }

  /** The log x ({@code x}) or y axis of a log-log plot of {@code series}, its range set from the data. */
  static LogAxis xyAxis(String label, boolean x, Series... series) {
    XYPlot plot = chart("", label, label, true, true, series).getXYPlot();
    return (LogAxis) (x ? plot.getDomainAxis() : plot.getRangeAxis());
  }

  private static JFreeChart chart(String title, String xLabel, String yLabel, boolean logX, boolean logY,
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
      Color c = colours[(series[s].colour() >= 0 ? series[s].colour() : s) % colours.length];
      // Markers small and translucent: the renderer draws every line before any marker, so a line
      // (e.g. the analytic limit) must stay visible through the clouds of points around it.
      renderer.setSeriesPaint(s, series[s].line() ? c : new Color(c.getRed(), c.getGreen(), c.getBlue(), 110));
      renderer.setSeriesShape(s, new Ellipse2D.Double(-2.5, -2.5, 5, 5));
      renderer.setSeriesStroke(s, new BasicStroke(3f));
    }
    XYPlot plot = new XYPlot(data, logX ? logAxis(xLabel, series, true) : new NumberAxis(xLabel),
        logY ? logAxis(yLabel, series, false) : new NumberAxis(yLabel), renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    return chart;
  }
}
