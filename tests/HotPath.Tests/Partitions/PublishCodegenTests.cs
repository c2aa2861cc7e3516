using System.Diagnostics;
using System.Text.RegularExpressions;
using HotPath.Tests.Durability;

namespace HotPath.Tests.Partitions;

/// <summary>
/// The publish loops a user writes, as the JIT compiles them: a writer whose reader keeps taking its lines is bound by its
/// stores, so a store to the stack frame on every event (a spill around a cold call, a flag of a claim, a loop variable
/// kept in memory) costs real throughput: one such spill cost <c>Publish(in T)</c> a fifth of its rate. These tests run the
/// loops in a child process (HotPath.CodegenChild) with the JIT's disassembly switched on and count the stores to the
/// frame after the prolog: once with tiered compilation off (the code without a profile, as NativeAOT runs it), and in
/// the final tier the profile produced, in one child per publish mode (each mode's code tuned to its own profile).
/// </summary>
/// <remarks>
/// <para>Allowed: a byte store of 0 into a frame slot whose address the method takes (the multi-writer claim's frame
/// marker: the address of a local identifies the bias owner, and the JIT zeroes the inlined local on each claim) and, in
/// the claim loop, the claim's fields that the <c>using</c> statement's finally reads (partition, offset, ticket) plus
/// the ticket marked done by <c>Publish</c>. The count covers the whole method after its prolog (set-up and cold blocks
/// too), so it errs toward failing.</para>
/// <para>A store is any instruction whose first (destination) operand is a frame slot, other than a compare or a test;
/// an ARM64 listing's <c>str</c>/<c>stp</c>/<c>stur</c> family to <c>[fp, ...]</c> or <c>[sp, ...]</c>. The listings
/// were read on x64 only; a pattern that recognises no store in the claim loop (whose finally needs some) fails.</para>
/// <para>The child is built in this test project's configuration: the tests need Release (a Debug build's code is not
/// optimised, and the JIT does not inline from it), and say so when run otherwise.</para>
/// </remarks>
public sealed class PublishCodegenTests
{
    private const string Methods = "PublishLoop ClaimLoop KeylessLoop LongKeyLoop";

    // A store to the frame (see the remarks), matched on a line without its comment. x64: <op> [<size> ptr ][rbp|rsp...],
    // ... (Intel order: the destination first). ARM64: str/stp/stur... <registers>, [fp|sp...].
    private static readonly Regex FrameStore = new(
        @"^(?!(cmp|test|bt|push|call|jmp|prefetch\w*)\s)([a-z][a-z0-9]*\s+(\w+\s+ptr\s+)?\[(rbp|rsp)([+-]0x[0-9A-F]+)?\]|(st[lu]?r[bh]?|stp|stnp)\s+.*\[(fp|sp)\b.*)",
        RegexOptions.Compiled);

    // The frame slot of a store or lea: [rbp-0x30] / [fp, #-0x30].
    private static readonly Regex FrameSlot = new(@"\[(rbp|rsp|fp|sp)([+-]0x[0-9A-F]+|, #-?0x[0-9A-F]+)?\]", RegexOptions.Compiled);

    private static readonly Dictionary<string, Lazy<Dictionary<string, string[]>>> Compiled = new()
    {
        ["fullopts"] = new(() => CompiledLoops("fullopts")),
        ["tiered-single"] = new(() => CompiledLoops("tiered", "single")),
        ["tiered-multi"] = new(() => CompiledLoops("tiered", "multi")),
    };

    public static TheoryData<string> Modes => new() { "fullopts", "tiered-single", "tiered-multi" };

    [Theory]
    [MemberData(nameof(Modes))]
    public void PublishLoops_StoreNothingToTheFrameButTheMultiWriterFrameMarker(string mode)
    {
        Dictionary<string, string[]> listings = Compiled[mode].Value;

        foreach (string loop in (string[])["PublishLoop", "KeylessLoop", "LongKeyLoop"])
        {
            string[] stores = FrameStoresAfterProlog(listings[loop]);
            string[] unexpected = [.. stores.Where(s => !IsFrameMarker(s, listings[loop]))];
            Assert.True(
                unexpected.Length == 0 && stores.Length <= 1,
                $"{loop} ({mode}) stores to its frame on the publish path: {string.Join(" | ", stores)}{Environment.NewLine}{string.Join(Environment.NewLine, listings[loop])}");
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void ClaimLoop_StoresOnlyTheClaimFieldsTheFinallyReads(string mode)
    {
        string[] listing = Compiled[mode].Value["ClaimLoop"];

        string[] stores = FrameStoresAfterProlog(listing);
        // The claim's fields live into the finally are stored: a pattern that recognises no store is a wrong pattern
        // (another architecture's listing), not a clean loop.
        Assert.True(stores.Length > 0, $"no store to the frame recognised in ClaimLoop ({mode}):{Environment.NewLine}{string.Join(Environment.NewLine, listing)}");
        string[] claimStores = [.. stores.Where(s => !IsFrameMarker(s, listing))];
        Assert.True(
            claimStores.Length <= 4 && stores.Length - claimStores.Length <= 1,
            $"ClaimLoop ({mode}) stores more to its frame than the claim's partition, offset and ticket and its done mark: {string.Join(" | ", stores)}{Environment.NewLine}{string.Join(Environment.NewLine, listing)}");
        // The finally is cloned onto the normal path: no call of the finally funclet (x64 call, ARM64 bl) on every claim.
        Assert.DoesNotContain(listing, line => Regex.IsMatch(Code(line), @"^(call|bl)\s+G_M\d+_IG\d+$"));
    }

    /// <summary>
    /// The frame marker's zeroing: a byte store of 0 (x64 <c>mov byte ptr [..], 0</c>; ARM64 <c>strb wzr, [..]</c>) to a slot
    /// whose address the method takes (an <c>lea</c> or <c>add</c> of the same slot), as the claim's frame is.
    /// </summary>
    private static bool IsFrameMarker(string store, string[] listing)
    {
        bool byteZero = (store.StartsWith("mov byte ptr", StringComparison.Ordinal) && store.EndsWith(", 0", StringComparison.Ordinal))
            || store.StartsWith("strb wzr", StringComparison.Ordinal) || store.StartsWith("sturb wzr", StringComparison.Ordinal);
        string slot = FrameSlot.Match(store).Value;
        return byteZero && slot.Length > 0 && listing.Select(Code).Any(line => (line.StartsWith("lea ", StringComparison.Ordinal) || line.StartsWith("add ", StringComparison.Ordinal)) && line.Contains(slot, StringComparison.Ordinal));
    }

    /// <summary>A listing line without its comment, blanks collapsed.</summary>
    private static string Code(string line)
    {
        int semicolon = line.IndexOf(';', StringComparison.Ordinal);
        int slashes = line.IndexOf("//", StringComparison.Ordinal);
        int comment = semicolon < 0 ? slashes : slashes < 0 ? semicolon : Math.Min(semicolon, slashes);
        return Regex.Replace((comment < 0 ? line : line[..comment]).Trim(), @"\s+", " ");
    }

    private static string[] FrameStoresAfterProlog(string[] listing)
    {
        // The prolog is the first block (IG01): it saves registers and zeroes the frame once per call.
        int body = Array.FindIndex(listing, line => line.StartsWith("G_M000_IG02:", StringComparison.Ordinal));
        Assert.True(body > 0, "no second block in the listing");
        return [.. listing.Skip(body).Select(Code).Where(code => FrameStore.IsMatch(code))];
    }

    /// <summary>
    /// Runs the child and returns the final listing of each loop: tiered compilation off (one fully optimised compilation,
    /// no profile), or the last Tier1 compilation after the profile was gathered.
    /// </summary>
    private static Dictionary<string, string[]> CompiledLoops(string mode, string? publishMode = null)
    {
        string child = Path.Combine(AppContext.BaseDirectory, "HotPath.CodegenChild.dll");
        bool optimised = System.Reflection.Assembly.LoadFrom(child).GetCustomAttributes(typeof(DebuggableAttribute), false)
            .Cast<DebuggableAttribute>().All(a => !a.IsJITOptimizerDisabled);
        Assert.True(optimised, "the codegen tests read the code of a Release build (a Debug build is not optimised): run them with -c Release, as README's test command does");

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
            info.ArgumentList.Add(child);
            info.ArgumentList.Add(mode);
            if (publishMode is not null)
            {
                info.ArgumentList.Add(publishMode);
            }

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
            if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                Assert.Fail("the codegen child did not finish in 2 minutes");
            }

            Assert.True(process.ExitCode == 0 && output.Result.Contains("ran", StringComparison.Ordinal), $"the codegen child failed ({process.ExitCode}): {output.Result} {error.Result}");
            Assert.True(File.Exists(listingFile), "the runtime wrote no JIT listing (DOTNET_JitStdOutFile)");

            // The listing that runs on: the one fully optimised compilation, or the last Tier1 one after the profile.
            string finalTier = mode == "fullopts" ? "FullOpts" : "Tier1";
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
                // Later compilations replace earlier ones.
                if (tier == finalTier)
                {
                    listings[header.Groups["name"].Value] = listing;
                }
            }

            foreach (string method in Methods.Split(' '))
            {
                Assert.True(listings.ContainsKey(method), $"no {finalTier} listing of {method}; listed: {string.Join(", ", lines.Where(l => l.StartsWith("; Assembly listing", StringComparison.Ordinal)))}");
            }

            return listings;
        }
        finally
        {
            File.Delete(listingFile);
        }
    }
}
