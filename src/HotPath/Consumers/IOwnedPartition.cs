namespace HotPath.Consumers;

/// <summary>
/// A group's partition as a transaction sees it when it checks, at commit, that the member whose offsets it carries still
/// owns the partition (KIP-447). Implemented by <see cref="GroupPartition{T}"/>.
/// </summary>
internal interface IOwnedPartition
{
    /// <summary>True while <paramref name="member"/> owns the partition. Read under the owner's cursor's fork lock, which a release in good order takes too.</summary>
    bool IsOwnedBy(object member);
}
