namespace HotPath.Demo;

/// <summary>The character cells a frame may use.</summary>
/// <param name="Width">Columns, at least 1.</param>
/// <param name="Height">Rows, at least 1.</param>
internal readonly record struct TerminalSize(int Width, int Height)
{
    /// <summary>The size a terminal is assumed to have when it does not say: 80x24.</summary>
    public static TerminalSize Default { get; } = new(LiveView.Width, 24);

    /// <summary>
    /// The console window's size now, or <see cref="Default"/> when the console does not report one (output
    /// redirected, or a terminal that answers 0).
    /// </summary>
    public static TerminalSize Current()
    {
        try
        {
            int width = Console.WindowWidth;
            int height = Console.WindowHeight;
            return width > 0 && height > 0 ? new TerminalSize(width, height) : Default;
        }
        catch (IOException)
        {
            return Default;
        }
        catch (PlatformNotSupportedException)
        {
            return Default;
        }
    }
}
