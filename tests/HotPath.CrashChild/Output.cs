namespace HotPath.CrashChild;

/// <summary>Standard output, one write per call, flushed at once: the parent reads it as it comes and may kill us at any time.</summary>
/// <remarks>Thread-safety: any thread (a lock keeps lines whole).</remarks>
internal sealed class Output
{
    private readonly Stream _stdout = Console.OpenStandardOutput();
    private readonly object _lock = new();

    public void Line(string line) => Write(line + "\n");

    /// <summary>Writes <paramref name="text"/> (whole lines) with one write.</summary>
    public void Write(string text)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(text);
        lock (_lock)
        {
            _stdout.Write(bytes);
            _stdout.Flush();
        }
    }
}
