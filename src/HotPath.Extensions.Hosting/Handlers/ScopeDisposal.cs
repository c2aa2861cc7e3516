using Microsoft.Extensions.DependencyInjection;

namespace HotPath.Extensions.Hosting.Handlers;

/// <summary>Ends a service scope on a member's thread, which may block (it already waits for each handler call).</summary>
/// <remarks>Thread-safety: stateless; any thread.</remarks>
internal static class ScopeDisposal
{
    /// <summary>
    /// Disposes <paramref name="scope"/> asynchronously, so that scoped services that are only
    /// <see cref="IAsyncDisposable"/> (which a synchronous dispose refuses) are disposed too, and waits for it.
    /// </summary>
    /// <param name="scope">The scope.</param>
    public static void End(AsyncServiceScope scope)
    {
        ValueTask disposal = scope.DisposeAsync();
        if (disposal.IsCompleted)
        {
            // Consume it even when done: a failure is thrown here, and a pooled source goes back to its pool.
            disposal.GetAwaiter().GetResult();
            return;
        }

        disposal.AsTask().GetAwaiter().GetResult();
    }
}
