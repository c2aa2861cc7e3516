namespace HotPath.Demo;

/// <summary>
/// Generates the events of <see cref="OrderCount"/> orders, interleaved: 64 orders are in flight at a time and each
/// call advances a random one by one step, so the events of one order are spread over the stream and per-key order
/// matters. Every order is placed, then paid and shipped (80%), cancelled after placing (10%) or cancelled after
/// paying (10%). Deterministic for a given seed. Allocation-free after construction.
/// </summary>
/// <remarks>Thread-safety: one thread at a time (the publisher).</remarks>
internal sealed class OrderGenerator
{
    private const int InFlight = 64;

    private readonly byte[] _published;
    private readonly int[] _active;
    private int _activeCount;
    private int _nextNew;
    private ulong _random;

    public OrderGenerator(int orderCount, ulong seed = 0x2545F4914F6CDD1D)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(orderCount, 1);
        OrderCount = orderCount;
        _published = new byte[orderCount];
        _active = new int[Math.Min(InFlight, orderCount)];
        _random = seed | 1;
        for (; _activeCount < _active.Length; _activeCount++)
        {
            _active[_activeCount] = _nextNew++;
        }

        for (int i = 0; i < orderCount; i++)
        {
            PlannedEvents += Plan(i).Length;
        }
    }

    /// <summary>Number of orders.</summary>
    public int OrderCount { get; }

    /// <summary>Events of all orders together.</summary>
    public long PlannedEvents { get; }

    /// <summary>A copy of the number of events published so far, per order index.</summary>
    public byte[] PublishedPerOrder() => (byte[])_published.Clone();

    /// <summary>The life of an order: its event count, when it is cancelled (or -1), product and quantity.</summary>
    public static (int Length, int CancelledAt, short Product, int Quantity) Plan(int index)
    {
        ulong hash = Mix((ulong)index);
        int flow = (int)(hash % 10);
        short product = (short)((hash >> 8) % (ulong)Products.Names.Count);
        int quantity = 1 + (int)((hash >> 16) % 5);
        return flow switch
        {
            0 => (2, 1, product, quantity),
            1 => (3, 2, product, quantity),
            _ => (3, -1, product, quantity),
        };
    }

    /// <summary>The next event, or false when every order is complete.</summary>
    public bool TryNext(long timestampTicks, out OrderEvent @event)
    {
        if (_activeCount == 0)
        {
            @event = default;
            return false;
        }

        int slot = (int)(NextRandom() % (uint)_activeCount);
        int index = _active[slot];
        (int length, int cancelledAt, short product, int quantity) = Plan(index);
        int step = _published[index]++;
        OrderEventType type = step == cancelledAt ? OrderEventType.Cancelled : (OrderEventType)step;
        @event = new OrderEvent(OrderIds.FromIndex(index), type, (byte)step, product, quantity, timestampTicks);
        if (step + 1 == length)
        {
            _active[slot] = _nextNew < OrderCount ? _nextNew++ : _active[--_activeCount];
        }

        return true;
    }

    private uint NextRandom()
    {
        // xorshift64*: fast, good enough to interleave orders.
        _random ^= _random >> 12;
        _random ^= _random << 25;
        _random ^= _random >> 27;
        return (uint)((_random * 0x2545F4914F6CDD1DUL) >> 32);
    }

    private static ulong Mix(ulong x)
    {
        // splitmix64 finaliser: order index -> well-spread bits.
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
