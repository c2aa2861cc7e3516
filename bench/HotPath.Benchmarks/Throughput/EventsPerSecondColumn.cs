using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace HotPath.Benchmarks.Throughput;

/// <summary>
/// Events per second from the median time per operation (BenchmarkDotNet divides by OperationsPerInvoke, so an
/// operation is one event). The median, not the mean: the benchmark machines are shared and noisy.
/// </summary>
public sealed class EventsPerSecondColumn : IColumn
{
    /// <inheritdoc/>
    public string Id => nameof(EventsPerSecondColumn);

    /// <inheritdoc/>
    public string ColumnName => "Events/s";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => 0;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => "Events per second: 1 s / median time per event";

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? nanoseconds = summary[benchmarkCase]?.ResultStatistics?.Median;
        if (nanoseconds is not > 0)
        {
            return "NA";
        }

        double perSecond = 1e9 / nanoseconds.Value;
        return perSecond >= 1e6
            ? (perSecond / 1e6).ToString("F1", CultureInfo.InvariantCulture) + " M"
            : (perSecond / 1e3).ToString("F1", CultureInfo.InvariantCulture) + " K";
    }

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc/>
    public override string ToString() => ColumnName;
}
