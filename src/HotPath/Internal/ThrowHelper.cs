using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace HotPath.Internal;

/// <summary>
/// Throw sites kept out of hot methods so that the JIT can inline the callers: a method that contains a
/// <c>throw</c> is rarely inlined, a call to a <see cref="DoesNotReturnAttribute"/> method is cheap. Never inlined
/// themselves: the messages they build (interpolated strings, whose handler the JIT zeroes in the frame) stay out of the
/// callers' frames. A caller that builds its message with <c>$"..."</c> pays that in its own frame: hot methods call a
/// NoInlining helper of their own that builds the message (see <c>InterpolationTests</c>).
/// Messages name the parameter, the rule and the actual value.
/// </summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ArgumentOutOfRange(string paramName, string rule, object? actual) =>
        throw new ArgumentOutOfRangeException(paramName, actual, $"{paramName} {rule}, was {actual ?? "null"}");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Argument(string paramName, string message) =>
        throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ArgumentNull(string paramName) =>
        throw new ArgumentNullException(paramName, $"{paramName} must not be null");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ArgumentNull(string paramName, string fix) =>
        throw new ArgumentNullException(paramName, $"{paramName} must not be null; {fix}");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ObjectDisposed(string objectName) =>
        throw new ObjectDisposedException(objectName, $"{objectName} has been disposed: create a new one, or stop using it before Dispose");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void InvalidOperation(string message) => throw new InvalidOperationException(message);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void TopicCompleted(string topic) =>
        throw new InvalidOperationException($"topic '{topic}' is complete: no event may be published after Complete()");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void JournalCorruption(string path, long position, string reason) =>
        throw new HotPath.Durability.JournalCorruptionException(path, position, reason);

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Timeout(string what, TimeSpan timeout) =>
        throw new TimeoutException($"{what} did not complete within {timeout}");
}
