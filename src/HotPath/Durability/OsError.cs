namespace HotPath.Durability;

/// <summary>
/// The operating system's error as a clause of a journal message: .NET's messages end with a period, which would sit
/// before the fix the journal message adds ("... is denied.; make it writable").
/// </summary>
/// <remarks>Thread-safety: stateless.</remarks>
internal static class OsError
{
    /// <summary>The message of <paramref name="error"/> without its closing period.</summary>
    public static string Describe(Exception error) => error.Message.TrimEnd('.', ' ');
}
