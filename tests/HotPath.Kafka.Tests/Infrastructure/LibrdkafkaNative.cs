using System.Runtime.InteropServices;

namespace HotPath.Kafka.Tests.Infrastructure;

/// <summary>
/// The few librdkafka entry points the tests call directly: enough to run librdkafka's built-in mock cluster.
/// The mock API is not ABI-stable, which is why librdkafka.redist is pinned in Directory.Packages.props.
/// Declarations follow rdkafka.h and rdkafka_mock.h of librdkafka 2.16.0.
/// </summary>
internal static class LibrdkafkaNative
{
    /// <summary>Logical library name; <see cref="NativeLibraryLoader"/> resolves it to the file that loads here.</summary>
    public const string LibraryName = "librdkafka";

    /// <summary>rd_kafka_type_t RD_KAFKA_PRODUCER.</summary>
    public const int RdKafkaProducer = 0;

    /// <summary>rd_kafka_conf_res_t RD_KAFKA_CONF_OK.</summary>
    public const int ConfOk = 0;

    static LibrdkafkaNative() => NativeLibraryLoader.EnsureLoaded();

    [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
    public static extern IntPtr rd_kafka_conf_new();

    [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
    public static extern void rd_kafka_conf_destroy(IntPtr conf);

    [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
    public static extern int rd_kafka_conf_set(IntPtr conf, string name, string value, byte[] errstr, UIntPtr errstrSize);

    [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
    public static extern IntPtr rd_kafka_new(int type, IntPtr conf, byte[] errstr, UIntPtr errstrSize);

    [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
    public static extern void rd_kafka_destroy(IntPtr rk);

    [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
    public static extern IntPtr rd_kafka_err2str(int err);

    [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
    public static extern IntPtr rd_kafka_version_str();

    [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
    public static extern IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokerCount);

    [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
    public static extern void rd_kafka_mock_cluster_destroy(IntPtr mcluster);

    [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
    public static extern IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr mcluster);

    [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
    public static extern int rd_kafka_mock_topic_create(IntPtr mcluster, string topic, int partitionCount, int replicationFactor);

    [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]
    public static extern int rd_kafka_mock_group_initial_rebalance_delay_ms(IntPtr mcluster, int delayMs);

    /// <summary>librdkafka's text for an rd_kafka_resp_err_t code.</summary>
    public static string ErrorToString(int err) =>
        Marshal.PtrToStringUTF8(rd_kafka_err2str(err)) ?? $"error {err}";

    /// <summary>The text librdkafka wrote into an errstr buffer.</summary>
    public static string ErrorBufferToString(byte[] errstr)
    {
        int end = Array.IndexOf(errstr, (byte)0);
        return System.Text.Encoding.UTF8.GetString(errstr, 0, end < 0 ? errstr.Length : end);
    }
}
