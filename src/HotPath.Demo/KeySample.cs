namespace HotPath.Demo;

/// <summary>Where one sample key went.</summary>
/// <param name="Key">The key, e.g. ORD10000.</param>
/// <param name="SeenPartition">The partition the handlers saw its events on, or -1 if none arrived.</param>
/// <param name="ExpectedPartition">The partition the topic's partitioner picks for it.</param>
/// <param name="KafkaPartition">The partition Kafka's default partitioner picks (murmur2 of the UTF-8 key).</param>
internal sealed record KeySample(string Key, int SeenPartition, int ExpectedPartition, int KafkaPartition);
