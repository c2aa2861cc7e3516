using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace HotPath.Tests.Durability;

/// <summary>
/// Model-based property of durable topics: random runs of keyed publishes, transactions over two or more partitions
/// (committed or aborted, some with plain events published inside them), group members joining and leaving, drains,
/// clean restarts (groups and topic disposed, the directory reopened), brand-new groups and, with retention, waits for
/// the journaller's retention, over a topic of 2-3 partitions with rings of 4-16 slots (so groups that resume below the
/// ring catch up from the journal), 4 KiB segments (so they roll), any sync policy and publish mode, read-committed and
/// read-uncommitted groups, checked against the sequential model in <see cref="DurableTopicModelRun"/>: each restart
/// continues every partition at the model's count with no torn tail, keeps every committed transaction whole in every
/// partition and nothing aborted (readers of each whole partition at both isolation levels), and leaves a transaction
/// log exactly once a transaction over two or more partitions committed (such a transaction is acknowledged only after
/// its commit record is in the log); every group resumes exactly at the offset it
/// committed before the clean shutdown and then gets exactly the model's events from there, in order (a read-committed
/// group never an aborted one); a new group starts at the journal's start; per-key order holds; retention never
/// deletes what a group has not committed. A failure shrinks to a short printed operation list.
/// </summary>
public sealed class DurableTopicModelProperties
{
    [Property(MaxTest = 30)]
    public Property RandomOperationsAndRestarts_AgainstSequentialModel_GroupsResumeExactlyAndSeeEveryEventOnce() =>
        Prop.ForAll(DurableTopicScenario.Arbitrary, scenario =>
        {
            using var run = new DurableTopicModelRun(scenario);
            run.Execute();
        });
}
