namespace HotPath.Tests.Support;

/// <summary>A small event for tests: a value and the writer that produced it.</summary>
public struct TestEvent
{
    public long Value;
    public int Writer;

    public TestEvent(long value, int writer = 0)
    {
        Value = value;
        Writer = writer;
    }
}
