using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using HotPath.Partitioning;

namespace HotPath.Benchmarks.Routing;

/// <summary>
/// Key routing: <c>Partitioner.PartitionFor</c> over <see cref="Keys"/> distinct keys per invocation, for byte keys
/// of 8, 16 and 64 bytes and 16-character ASCII string keys (UTF-8 encoding included), with XxHash3 and Kafka's
/// murmur2. Times are per key. The sum of the partitions is checked against a precomputed one so the work cannot be
/// elided or wrong.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Config))]
public class KeyRouting
{
    /// <summary>Keys per invocation.</summary>
    public const int Keys = 1024;

    /// <summary>Partitions the keys are routed to.</summary>
    public const int PartitionCount = 64;

    private byte[][] _bytes = [];
    private string[] _strings = [];
    private Partitioner _partitioner = Partitioner.XxHash3;
    private long _expected;

    /// <summary>The partitioner: XxHash3 or Kafka (murmur2).</summary>
    [Params("XxHash3", "Kafka")]
    public string Hash { get; set; } = "XxHash3";

    /// <summary>The key: 8, 16 or 64 bytes, or a 16-character string.</summary>
    [Params("8B", "16B", "64B", "string16")]
    public string Key { get; set; } = "16B";

    /// <summary>Builds the keys and the expected sum.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _partitioner = Hash == "Kafka" ? Partitioner.Kafka : Partitioner.XxHash3;
        var random = new Random(42);
        int length = Key switch { "8B" => 8, "16B" => 16, "64B" => 64, _ => 16 };
        _bytes = [.. Enumerable.Range(0, Keys).Select(_ => { byte[] k = new byte[length]; random.NextBytes(k); return k; })];
        _strings = [.. Enumerable.Range(0, Keys).Select(i => $"user-{i:D5}-{random.Next(100000):D5}")];
        _expected = 0;
        for (int i = 0; i < Keys; i++)
        {
            _expected += Key == "string16"
                ? _partitioner.PartitionFor(Encoding.UTF8.GetBytes(_strings[i]), PartitionCount)
                : _partitioner.PartitionFor(_bytes[i], PartitionCount);
        }
    }

    /// <summary>Routes every key once.</summary>
    /// <returns>The sum of the partitions.</returns>
    [Benchmark(OperationsPerInvoke = Keys)]
    public long Route()
    {
        long sum = Key == "string16" ? RouteStrings() : RouteBytes();
        if (sum != _expected)
        {
            throw new InvalidOperationException($"{Hash} routed {Key} keys to partitions summing to {sum}, expected {_expected}");
        }

        return sum;
    }

    private long RouteBytes()
    {
        Partitioner partitioner = _partitioner;
        long sum = 0;
        foreach (byte[] key in _bytes)
        {
            sum += partitioner.PartitionFor(key, PartitionCount);
        }

        return sum;
    }

    private long RouteStrings()
    {
        Partitioner partitioner = _partitioner;
        long sum = 0;
        foreach (string key in _strings)
        {
            sum += partitioner.PartitionFor(key, PartitionCount);
        }

        return sum;
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(new Throughput.EventsPerSecondColumn());
    }
}
