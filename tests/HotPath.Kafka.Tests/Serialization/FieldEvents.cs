namespace HotPath.Kafka.Tests.Serialization;

/// <summary>An event written the way the README writes events: a struct with public fields only.</summary>
public struct FieldOrder
{
    public int CustomerId;
    public long OrderId;
    public decimal Amount;
}

/// <summary>A property and a public field: options without fields would drop <see cref="Amount"/> only.</summary>
public struct MixedOrder
{
    public int Id { get; set; }

    public decimal Amount;
}

/// <summary>Nothing that JSON could carry.</summary>
public struct NoMembers;
