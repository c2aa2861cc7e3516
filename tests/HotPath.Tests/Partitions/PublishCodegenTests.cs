using System.Diagnostics;
using System.Text.RegularExpressions;
using HotPath.Tests.Durability;

namespace HotPath.Tests.Partitions;

/// <summary>
/// The publish loops a user writes, as the JIT compiles them: a writer whose reader keeps taking its lines is bound by its
/// stores, so a store to the stack frame on every event (a spill around a cold call, a flag of a claim, a loop variable
/// kept in memory) costs real throughput: one such spill cost <c>Publish(in T)</c> a fifth of its rate. These tests run the
/// loops in a child process (HotPath.CodegenChild) with the JIT's disassembly switched on and count the stores to the
/// frame after the prolog: once with tiered compilation off (the code without a profile, as NativeAOT runs it) and once
/// with the final tier the profile produced.
/// </summary>
/// <remarks>
/// Allowed: a byte store of 0 into the frame (the multi-writer claim's frame marker: the address of a local identifies
/// the bias owner, and the JIT zeroes the inlined local on each claim) and, in the claim loop, the claim's fields that the
/// <c>using</c> statement's finally reads (partition, offset, ticket) plus the ticket marked done by <c>Publish</c>.
/// </remarks>
public sealed class PublishCodegenTests
{
    private const string Methods = "PublishLoop ClaimLoop KeylessLoop LongKeyLoop";

    // A store to the frame. x64: mov <size> ptr [rbp-0x..] or [rsp+0x..], source. ARM64: str/strb/strh/stp/stur to
    // [fp, #..] or [sp, #..].
    private static readonly Regex FrameStore = new(
        @"^\s+(mov\s+\w+\s+ptr\s+\[(rbp|rsp)[+-]0x[0-9A-F]+\],\s*\S+|(str|strb|strh|stp|stur|sturb|sturh)\s+.*\[(fp|sp)(, #-?0x[0-9A-F]+)?\]!?)\s*$",
        RegexOptions.Compiled);

    public static TheoryData<string> Modes => new() { "fullopts", "tiered" };

    [Theory]
    [MemberData(nameof(Modes))]
    public void PublishLoops_StoreNothingToTheFrameButTheMultiWriterFrameMarker(string mode)
    {
        Dictionary<string, string[]> listings = CompiledLoops(mode);

        foreach (string loop in (string[])["PublishLoop", "KeylessLoop", "LongKeyLoop"])
        {
            string[] stores = FrameStoresAfterProlog(listings[loop]);
            string[] unexpected = [.. stores.Where(s => !IsFrameMarker(s))];
            Assert.True(
                unexpected.Length == 0 && stores.Length <= 1,
                $"{loop} ({mode}) stores to its frame on the publish path: {string.Join(" | ", stores)}{Environment.NewLine}{string.Join(Environment.NewLine, listings[loop])}");
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void ClaimLoop_StoresOnlyTheClaimFieldsTheFinallyReads(string mode)
    {
        string[] listing = CompiledLoops(mode)["ClaimLoop"];

        string[] stores = FrameStoresAfterProlog(listing);
        // The claim's fields live into the finally are stored: a pattern that recognises no store is a wrong pattern
        // (another architecture's listing), not a clean loop.
        Assert.True(stores.Length > 0, $"no store to the frame recognised in ClaimLoop ({mode}):{Environment.NewLine}{string.Join(Environment.NewLine, listing)}");
        string[] claimStores = [.. stores.Where(s => !IsFrameMarker(s))];
        Assert.True(
            claimStores.Length <= 4 && stores.Length - claimStores.Length <= 1,
            $"ClaimLoop ({mode}) stores more to its frame than the claim's partition, offset and ticket and its done mark: {string.Join(" | ", stores)}{Environment.NewLine}{string.Join(Environment.NewLine, listing)}");
        // The finally is cloned onto the normal path: no call of the finally funclet on every claim.
        Assert.DoesNotContain(listing, line => Regex.IsMatch(line, @"^\s+call\s+G_M\d+_IG\d+\s*$"));
    }

    // x64: mov byte ptr [rbp-0x..], 0; ARM64: strb wzr, [fp, #..].
    private static bool IsFrameMarker(string store) =>
        (store.Contains("byte", StringComparison.Ordinal) && store.EndsWith(", 0", StringComparison.Ordinal))
        || store.StartsWith("strb wzr", StringComparison.Ordinal) || store.StartsWith("sturb wzr", StringComparison.Ordinal);

    private static string[] FrameStoresAfterProlog(string[] listing)
    {
        // The prolog is the first block (IG01): it saves registers and zeroes the frame once per call.
        int body = Array.FindIndex(listing, line => line.StartsWith("G_M000_IG02:", StringComparison.Ordinal));
        Assert.True(body > 0, "no second block in the listing");
        return [.. listing.Skip(body).Where(line => FrameStore.IsMatch(line)).Select(line => Regex.Replace(line.Trim(), @"\s+", " "))];
    }

    /// <summary>
    /// Runs the child and returns the final listing of each loop: tiered compilation off (one fully optimised compilation,
    /// no profile), or the last Tier1 compilation after the profile was gathered.
    /// </summary>
    private static Dictionary<string, string[]> CompiledLoops(string mode)
    {
        string listingFile = Path.Combine(Path.GetTempPath(), $"hotpath-codegen-{Guid.NewGuid():N}.asm");
        try
        {
            var info = new ProcessStartInfo
            {
                FileName = CrashChildProcess.DotnetHost,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "HotPath.CodegenChild.dll"));
            info.ArgumentList.Add(mode);
            info.Environment["DOTNET_JitDisasm"] = Methods;
            info.Environment["DOTNET_JitStdOutFile"] = listingFile;
            if (mode == "fullopts")
            {
                info.Environment["DOTNET_TieredCompilation"] = "0";
            }
            else
            {
                info.Environment["DOTNET_TieredCompilation"] = "1";
                info.Environment["DOTNET_TieredPGO"] = "1";
                info.Environment["DOTNET_TC_CallCountingDelayMs"] = "0";
            }

            using Process process = Process.Start(info)!;
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> error = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "the codegen child did not finish");
            Assert.True(process.ExitCode == 0 && output.Result.Contains("ran", StringComparison.Ordinal), $"the codegen child failed ({process.ExitCode}): {output.Result} {error.Result}");
            Assert.True(File.Exists(listingFile), "the runtime wrote no JIT listing (DOTNET_JitStdOutFile)");

            string[] lines = File.ReadAllLines(listingFile);
            var listings = new Dictionary<string, string[]>();
            for (int start = 0; start < lines.Length; start++)
            {
                Match header = Regex.Match(lines[start], @"^; Assembly listing for method [\w.]+:(?<name>\w+)\(.*\) \((?<tier>[^)]*)\)");
                if (!header.Success)
                {
                    continue;
                }

                int end = Array.FindIndex(lines, start + 1, line => line.StartsWith("; Assembly listing for method", StringComparison.Ordinal));
                string[] listing = lines[start..(end < 0 ? lines.Length : end)];
                string tier = header.Groups["tier"].Value;
                // Later compilations replace earlier ones: the last optimised one is the code that runs on.
                if (mode == "fullopts" ? tier == "FullOpts" : tier == "Tier1")
                {
                    listings[header.Groups["name"].Value] = listing;
                }
            }

            foreach (string method in Methods.Split(' '))
            {
                Assert.True(listings.ContainsKey(method), $"no {(mode == "fullopts" ? "FullOpts" : "Tier1")} listing of {method}; listed: {string.Join(", ", lines.Where(l => l.StartsWith("; Assembly listing", StringComparison.Ordinal)))}");
            }

            return listings;
        }
        finally
        {
            File.Delete(listingFile);
        }
    }
}
