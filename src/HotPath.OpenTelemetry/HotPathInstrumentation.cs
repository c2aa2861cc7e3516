using HotPath.Diagnostics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace HotPath.OpenTelemetry;

/// <summary>
/// Adds HotPath's telemetry to OpenTelemetry: the <see cref="HotPathTracing.ActivitySourceName"/> activity source (send and
/// process spans per the messaging semantic conventions) to a tracer provider, and the <see cref="HotPathMetrics.MeterName"/>
/// meter (the core's and the Kafka bridge's instruments, which share that name) to a meter provider.
/// </summary>
/// <remarks>
/// Registering changes what HotPath does per event only while an exporter listens: see <see cref="HotPathTracing"/> for
/// the cost of spans. End-to-end traces from a publisher's span to the handler's need
/// <see cref="Topics.TopicOptions.PropagateTraceContext"/> on the topic. Thread-safety: call while building the
/// provider, as any OpenTelemetry builder extension.
/// </remarks>
public static class HotPathInstrumentation
{
    /// <summary>Adds the HotPath activity source to the tracer provider.</summary>
    /// <param name="builder">The tracer provider builder.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static TracerProviderBuilder AddHotPathInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(HotPathTracing.ActivitySourceName);
    }

    /// <summary>Adds the HotPath meter to the meter provider.</summary>
    /// <param name="builder">The meter provider builder.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static MeterProviderBuilder AddHotPathInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(HotPathMetrics.MeterName);
    }
}
