using System.Diagnostics.CodeAnalysis;

namespace HotPath.Internal;

/// <summary>
/// Throw sites kept out of hot methods so that the JIT can inline the callers: a method that contains a
/// <c>throw</c> is rarely inlined, a call to a <see cref="DoesNotReturnAttribute"/> method is cheap.
/// Messages name the parameter, the rule and the actual value.
/// </summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ArgumentOutOfRange(string paramName, string rule, object? actual) =>
        throw new ArgumentOutOfRangeException(paramName, actual, $"{paramName} {rule}, was {actual ?? "null"}");

    [DoesNotReturn]
    public static void Argument(string paramName, string message) =>
        throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    public static void ArgumentNull(string paramName) =>
        throw new ArgumentNullException(paramName, $"{paramName} must not be null");

    [DoesNotReturn]
    public static void ArgumentNull(string paramName, string fix) =>
        throw new ArgumentNullException(paramName, $"{paramName} must not be null; {fix}");

    [DoesNotReturn]
    public static void ObjectDisposed(string objectName) =>
        throw new ObjectDisposedException(objectName, $"{objectName} has been disposed: create a new one, or stop using it before Dispose");

    [DoesNotReturn]
    public static void InvalidOperation(string message) => throw new InvalidOperationException(message);

    [DoesNotReturn]
    public static void TopicCompleted(string topic) =>
        throw new InvalidOperationException($"topic '{topic}' is complete: no event may be published after Complete()");

    [DoesNotReturn]
    public static void JournalCorruption(string path, long position, string reason) =>
        throw new HotPath.Durability.JournalCorruptionException(path, position, reason);

    [DoesNotReturn]
    public static void Timeout(string what, TimeSpan timeout) =>
        throw new TimeoutException($"{what} did not complete within {timeout}");
}
