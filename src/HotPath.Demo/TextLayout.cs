namespace HotPath.Demo;

/// <summary>Fitting text into a number of columns: the live view and the report.</summary>
/// <remarks>Thread-safety: stateless.</remarks>
internal static class TextLayout
{
    /// <summary><paramref name="text"/> cut to <paramref name="width"/> columns, with <c>~</c> where it was cut.</summary>
    public static string Fit(string text, int width) =>
        text.Length <= width ? text
        : width <= 0 ? ""
        : text[..(width - 1)] + "~";

    /// <summary>
    /// <paramref name="text"/> broken at spaces into lines of at most <paramref name="width"/> columns (a word longer
    /// than that is cut with <see cref="Fit"/>).
    /// </summary>
    public static List<string> Wrap(string text, int width)
    {
        var lines = new List<string>();
        string line = "";
        foreach (string word in text.Split(' '))
        {
            if (line.Length != 0 && line.Length + 1 + word.Length > width)
            {
                lines.Add(Fit(line, width));
                line = word;
            }
            else
            {
                line = line.Length == 0 ? word : line + " " + word;
            }
        }

        lines.Add(Fit(line, width));
        return lines;
    }
}
