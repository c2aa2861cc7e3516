namespace HotPath.Tests.Durability;

/// <summary>A unique directory under the system temp directory, deleted (with everything in it) on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() =>
        Path = Directory.CreateDirectory(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hotpath-durability-" + Guid.NewGuid().ToString("N"))).FullName;

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        if (!OperatingSystem.IsWindows())
        {
            // A test may have made a directory read-only; give the owner write access back before deleting.
            foreach (string directory in Directory.EnumerateDirectories(Path, "*", SearchOption.AllDirectories).Prepend(Path))
            {
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        Directory.Delete(Path, recursive: true);
    }
}
