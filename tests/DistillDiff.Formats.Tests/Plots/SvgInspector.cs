using System.Globalization;
using System.Xml.Linq;

namespace DistillDiff.Formats.Tests.Plots;

/// <summary>Reads back the parts of a rendered plot the tests reason about.</summary>
internal sealed class SvgInspector
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    public SvgInspector(string svg)
    {
        Document = XDocument.Parse(svg);
        Assert.Equal(Svg + "svg", Document.Root!.Name);
        XElement area = ByClass("rect", "plot-area").Single();
        (Left, Top) = (D(area, "x"), D(area, "y"));
        (Right, Bottom) = (Left + D(area, "width"), Top + D(area, "height"));
    }

    public XDocument Document { get; }

    public double Left { get; }

    public double Top { get; }

    public double Right { get; }

    public double Bottom { get; }

    public IEnumerable<XElement> ByClass(string element, string cssClass) =>
        Document.Descendants(Svg + element).Where(e => (string?)e.Attribute("class") == cssClass);

    public XElement Series(string name) =>
        ByClass("g", "series").Single(g => (string?)g.Attribute("data-name") == name);

    public string[] TickLabels(string axis) => ByClass("text", "tick-" + axis).Select(t => t.Value).ToArray();

    public double[] TickValues(string axis) =>
        ByClass("text", "tick-" + axis).Select(t => double.Parse((string)t.Attribute("data-value")!, CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The segments of a path's d attribute ("M x,y L x,y ... M x,y ...").</summary>
    public static List<List<(double X, double Y)>> Segments(XElement path)
    {
        var segments = new List<List<(double, double)>>();
        foreach (string command in ((string)path.Attribute("d")!).Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (command[0] == 'M')
                segments.Add([]);
            else
                Assert.Equal('L', command[0]);
            string[] xy = command[1..].Split(',');
            segments[^1].Add((double.Parse(xy[0], CultureInfo.InvariantCulture), double.Parse(xy[1], CultureInfo.InvariantCulture)));
        }
        return segments;
    }

    public List<(double X, double Y)> Points(string series, string pathClass = "line") =>
        Segments(Series(series).Elements(Svg + "path").Single(p => (string?)p.Attribute("class") == pathClass)).SelectMany(s => s).ToList();

    public void AssertInside((double X, double Y) point)
    {
        Assert.InRange(point.X, Left, Right);
        Assert.InRange(point.Y, Top, Bottom);
    }

    private static double D(XElement e, string attribute) => double.Parse((string)e.Attribute(attribute)!, CultureInfo.InvariantCulture);
}
