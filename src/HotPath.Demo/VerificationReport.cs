using System.Globalization;

namespace HotPath.Demo;

/// <summary>The outcome of a run's verification: one check per group, routing, the member stop and draining.</summary>
/// <param name="Checks">The checks, in report order.</param>
/// <param name="Samples">Where a few sample keys went.</param>
/// <param name="MemberStop">The half-way member stop, or null.</param>
internal sealed record VerificationReport(
    IReadOnlyList<VerificationCheck> Checks,
    IReadOnlyList<KeySample> Samples,
    MemberStopObservation? MemberStop)
{
    /// <summary>True when every check passed.</summary>
    public bool Passed => Checks.All(c => c.Passed);

    /// <summary>The checks that failed.</summary>
    public IEnumerable<VerificationCheck> Failures => Checks.Where(c => !c.Passed);

    /// <summary>Writes the report, one check per line (long details wrap under their check).</summary>
    public void WriteTo(TextWriter output)
    {
        output.WriteLine("Verification, from what the handlers saw:");
        foreach (VerificationCheck check in Checks)
        {
            string head = string.Create(CultureInfo.InvariantCulture, $"  {(check.Passed ? "PASS" : "FAIL")}  {check.Name,-18} ");
            output.WriteLine(head + string.Join(Environment.NewLine + new string(' ', head.Length), TextLayout.Wrap(check.Detail, LiveView.Width - head.Length)));
        }

        if (Samples.Count != 0)
        {
            output.WriteLine("  Sample keys     partition  Kafka's partition (murmur2 of the UTF-8 key)");
            foreach (KeySample sample in Samples)
            {
                string seen = sample.SeenPartition < 0 ? "-" : sample.SeenPartition.ToString(CultureInfo.InvariantCulture);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {sample.Key,-12} {seen,9}  {sample.KafkaPartition,9}"));
            }
        }

        int failed = Checks.Count(c => !c.Passed);
        output.WriteLine(failed == 0
            ? $"RESULT: PASS ({Checks.Count} checks)"
            : $"RESULT: FAIL ({failed} of {Checks.Count} checks failed)");
    }
}
