namespace HotPath.Consumers;

/// <summary>Test hooks (internal, reached through InternalsVisibleTo): deterministic schedules for races.</summary>
internal abstract partial class MemberWorker<T>
{
    /// <summary>
    /// Runs on the worker thread after a batch, before its automatic commit (once per batch, never per event): a test
    /// parks the member there to fence it in between. Null outside tests.
    /// </summary>
    internal Action? TestBeforeAutoCommit { get; set; }

    /// <summary>
    /// The version of the latest control request (assignment, seek, stop): a test that sees it move knows that a
    /// coordinator's request reached the member, before the member applied it. Any thread.
    /// </summary>
    internal int TestRequestedVersion =>
        // Acquire: pairs with the increments under the lock in RequestAssignment, RequestSeek and RequestStop.
        Volatile.Read(ref _requestedVersion);
}
