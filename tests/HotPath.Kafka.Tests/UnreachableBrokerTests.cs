using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using HotPath.Kafka.Tests.Infrastructure;

namespace HotPath.Kafka.Tests;

/// <summary>A cluster that cannot be reached must fail fast and say why, never hang.</summary>
public sealed class UnreachableBrokerTests
{
    // Port 1 on loopback: nothing listens, so every connect is refused at once.
    private const string Unreachable = "127.0.0.1:1";
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 45_000)]
    public async Task ProduceAsync_UnreachableBroker_FailsWithClearErrorWithinBound()
    {
        NativeLibraryLoader.EnsureLoaded();
        var errors = new ConcurrentQueue<Error>();
        var config = new ProducerConfig
        {
            BootstrapServers = Unreachable,
            MessageTimeoutMs = 3000,
            SocketConnectionSetupTimeoutMs = 1000,
            ReconnectBackoffMs = 100,
            ReconnectBackoffMaxMs = 500,
        };

        var stopwatch = Stopwatch.StartNew();
        ProduceException<string, string> ex;
        using (IProducer<string, string> producer = new ProducerBuilder<string, string>(config)
                   .SetErrorHandler((_, e) => errors.Enqueue(e))
                   .SetLogHandler((_, _) => { })
                   .Build())
        {
            ex = await Assert.ThrowsAsync<ProduceException<string, string>>(() =>
                producer.ProduceAsync("unreachable", new Message<string, string> { Key = "k", Value = "v" }));
        }

        stopwatch.Stop();
        Assert.True(stopwatch.Elapsed < s_bound, $"failure must come within {s_bound}: elapsed={stopwatch.Elapsed}");
        Assert.Equal(ErrorCode.Local_MsgTimedOut, ex.Error.Code);
        Assert.Equal(PersistenceStatus.NotPersisted, ex.DeliveryResult.Status);
        // The error callback says which broker and why.
        Assert.Contains(errors, e => e.Reason.Contains("127.0.0.1:1", StringComparison.Ordinal) ||
                                     e.Code == ErrorCode.Local_AllBrokersDown);
    }

    [Fact(Timeout = 45_000)]
    public async Task GetMetadata_UnreachableBroker_ThrowsWithinBound()
    {
        NativeLibraryLoader.EnsureLoaded();
        var stopwatch = Stopwatch.StartNew();

        KafkaException ex = await Task.Run(() =>
        {
            using IAdminClient admin = new AdminClientBuilder(new AdminClientConfig
                {
                    BootstrapServers = Unreachable,
                    SocketConnectionSetupTimeoutMs = 1000,
                })
                .SetLogHandler((_, _) => { })
                .SetErrorHandler((_, _) => { })
                .Build();
            return Assert.ThrowsAny<KafkaException>(() => admin.GetMetadata(TimeSpan.FromSeconds(3)));
        });

        stopwatch.Stop();
        Assert.True(stopwatch.Elapsed < s_bound, $"failure must come within {s_bound}: elapsed={stopwatch.Elapsed}");
        Assert.Contains(ex.Error.Code, new[] { ErrorCode.Local_Transport, ErrorCode.Local_TimedOut, ErrorCode.Local_AllBrokersDown });
    }
}
