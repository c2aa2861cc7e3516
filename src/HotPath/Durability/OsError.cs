namespace HotPath.Durability;

/// <summary>
/// The operating system's error as a clause of a journal message: .NET's messages end with a period, which would sit
/// before the fix the journal message adds ("... is denied.; make it writable").
/// </summary>
/// <remarks>Thread-safety: stateless.</remarks>
internal static class OsError
{
    /// <summary>
    /// The message of <paramref name="error"/> without its closing period; for .NET's EFBIG (see <see cref="IsFileError"/>),
    /// what it means, since its own message speaks of a "file length" argument.
    /// </summary>
    public static string Describe(Exception error) => error is ArgumentOutOfRangeException { ParamName: "value" }
        ? "the write would take the file past the file size limit (RLIMIT_FSIZE, ulimit -f) or the file system's largest file (EFBIG)"
        : error.Message.TrimEnd('.', ' ');

    /// <summary>
    /// True when <paramref name="error"/> is the operating system refusing a file operation. Besides
    /// <see cref="IOException"/> and <see cref="UnauthorizedAccessException"/>, .NET reports EFBIG (a write past the file
    /// size limit, RLIMIT_FSIZE, or past the file system's largest file) as an <see cref="ArgumentOutOfRangeException"/>
    /// for the parameter "value"; callers ask only around file calls whose own arguments are valid.
    /// </summary>
    public static bool IsFileError(Exception error) =>
        error is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException { ParamName: "value" };
}
