using System.Runtime.CompilerServices;
using HotPath.Workers;

namespace HotPath.Tests.Workers;

public class CpuAffinityTests
{
    private const int Checks = 5;

    [Fact]
    public void IsSupported_LinuxOrWindows_IsTrue()
    {
        Assert.Equal(OperatingSystem.IsLinux() || OperatingSystem.IsWindows(), CpuAffinity.IsSupported);
    }

    [Fact]
    public void TryPinCurrentThread_CpuZero_ThreadRunsOnlyOnCpuZero()
    {
        PinResult result = RunOnDedicatedThread(0);

        AssertPinned(result, 0);
    }

    [Fact]
    public void TryPinCurrentThread_LastCpu_ThreadRunsOnlyOnLastCpu()
    {
        int last = Environment.ProcessorCount - 1;

        PinResult result = RunOnDedicatedThread(last);

        AssertPinned(result, last);
    }

    [Fact]
    public void TryResetCurrentThread_AfterPinning_AllowsEveryCpuAgain()
    {
        PinResult result = RunOnDedicatedThread(0);

        if (!CpuAffinity.IsSupported)
        {
            Assert.False(result.ResetSucceeded);
            return;
        }

        Assert.True(result.ResetSucceeded);
        if (OperatingSystem.IsLinux())
        {
            string all = Environment.ProcessorCount == 1 ? "0" : $"0-{Environment.ProcessorCount - 1}";
            Assert.Equal(all, result.AllowedAfterReset);
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void TryPinCurrentThread_NegativeCpu_ThrowsNamingRuleAndValue(int cpu)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => CpuAffinity.TryPinCurrentThread(cpu, out _));

        Assert.Equal("cpu", ex.ParamName);
        Assert.Equal(cpu, ex.ActualValue);
        Assert.StartsWith(
            $"cpu must be in [0, {Environment.ProcessorCount}) (Environment.ProcessorCount), was {cpu} (Parameter 'cpu')",
            ex.Message);
    }

    [Fact]
    public void TryPinCurrentThread_CpuEqualToProcessorCount_ThrowsNamingRuleAndValue()
    {
        int cpu = Environment.ProcessorCount;

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => CpuAffinity.TryPinCurrentThread(cpu, out _));

        Assert.Equal("cpu", ex.ParamName);
        Assert.StartsWith($"cpu must be in [0, {cpu}) (Environment.ProcessorCount), was {cpu}", ex.Message);
    }

    [Fact]
    public void GetCurrentCpu_UnpinnedThread_IsInRangeOrMinusOneWhenUnsupported()
    {
        int cpu = CpuAffinity.GetCurrentCpu();

        if (CpuAffinity.IsSupported)
        {
            Assert.InRange(cpu, 0, Environment.ProcessorCount - 1);
        }
        else
        {
            Assert.Equal(-1, cpu);
        }
    }

    [Fact]
    public void CpuSet_Layout_IsFullGlibcCpuSetT()
    {
        Assert.Equal(128, Unsafe.SizeOf<CpuSet>());
        Assert.Equal(CpuSet.ByteLength, Unsafe.SizeOf<CpuSet>());
        Assert.Equal(1024, CpuSet.Capacity);
    }

    [Fact]
    public void CpuSetAdd_HighCpu_SetsBitInLastWord()
    {
        var set = default(CpuSet);

        set.Add(0);
        set.Add(65);
        set.Add(1023);

        Assert.Equal(1UL, set[0]);
        Assert.Equal(2UL, set[1]);
        Assert.Equal(1UL << 63, set[15]);
    }

    private static void AssertPinned(PinResult result, int cpu)
    {
        Assert.Null(result.Exception);
        if (!CpuAffinity.IsSupported)
        {
            // Never pretend: an unsupported OS reports failure and says why.
            Assert.False(result.Pinned);
            Assert.Contains("unsupported", result.Error);
            return;
        }

        Assert.True(result.Pinned, result.Error);
        Assert.Null(result.Error);
        Assert.Equal(Enumerable.Repeat(cpu, Checks), result.ObservedCpus);
        if (OperatingSystem.IsLinux())
        {
            // What the kernel holds for this thread: exactly the one CPU.
            Assert.Equal(cpu.ToString(System.Globalization.CultureInfo.InvariantCulture), result.AllowedWhilePinned);
        }
    }

    // Pins a fresh thread (never a pool thread: the pinning would leak into unrelated work), spins between
    // observations so the scheduler has chances to move it, then resets it before it exits.
    private static PinResult RunOnDedicatedThread(int cpu)
    {
        var result = new PinResult();
        var thread = new Thread(() =>
        {
            try
            {
                result.Pinned = CpuAffinity.TryPinCurrentThread(cpu, out string? error);
                result.Error = error;
                result.AllowedWhilePinned = ReadAllowedCpus();
                for (int i = 0; i < Checks; i++)
                {
                    Thread.SpinWait(200_000);
                    result.ObservedCpus.Add(CpuAffinity.GetCurrentCpu());
                }

                result.ResetSucceeded = CpuAffinity.TryResetCurrentThread();
                result.AllowedAfterReset = ReadAllowedCpus();
            }
            catch (Exception ex)
            {
                result.Exception = ex;
            }
        })
        {
            IsBackground = true,
            Name = $"pin-test-cpu{cpu}",
        };

        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "pinned test thread did not finish");
        return result;
    }

    // The calling thread's affinity as the kernel reports it, e.g. "0" or "0-1"; null off Linux.
    private static string? ReadAllowedCpus()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        const string prefix = "Cpus_allowed_list:";
        string? line = File.ReadLines("/proc/thread-self/status").FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line?.Substring(prefix.Length).Trim();
    }

    private sealed class PinResult
    {
        public bool Pinned { get; set; }

        public string? Error { get; set; }

        public List<int> ObservedCpus { get; } = [];

        public string? AllowedWhilePinned { get; set; }

        public bool ResetSucceeded { get; set; }

        public string? AllowedAfterReset { get; set; }

        public Exception? Exception { get; set; }
    }
}
