namespace HotPath.Partitions;

/// <summary>Test hooks (internal, reached through InternalsVisibleTo).</summary>
internal sealed partial class GapLog
{
    /// <summary>
    /// The lock that <see cref="Add"/> and the readers' gap views take. A test holds it to stop a reader at its gap read,
    /// the point between a lossy reader's first look at the writer's reach and its copy, while writers move on.
    /// </summary>
    internal object LockForTests => _lock;
}
