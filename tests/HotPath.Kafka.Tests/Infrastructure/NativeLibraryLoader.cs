using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace HotPath.Kafka.Tests.Infrastructure;

/// <summary>
/// Finds a librdkafka build from the librdkafka.redist package that loads on this machine, and makes both the
/// tests' own P/Invokes and Confluent.Kafka use it.
/// </summary>
/// <remarks>
/// The package's default <c>runtimes/linux-x64/native/librdkafka.so</c> links <c>libsasl2.so.3</c>, which
/// Debian 12 does not ship (it has <c>libsasl2.so.2</c>), so loading it fails. The same folder ships
/// <c>centos8-librdkafka.so</c>, built without SASL/GSSAPI against glibc only, which loads. Candidates are tried
/// in order and the first that loads wins; <c>HOTPATH_LIBRDKAFKA_PATH</c> overrides the search.
/// </remarks>
internal static class NativeLibraryLoader
{
    /// <summary>Must equal the librdkafka.redist version in Directory.Packages.props; used only for the NuGet cache fallback.</summary>
    private const string PinnedRedistVersion = "2.16.0";

    private static readonly Lazy<string> s_path = new(LoadOnce, LazyThreadSafetyMode.ExecutionAndPublication);
    private static IntPtr s_handle;

    /// <summary>The full path of the librdkafka file in use.</summary>
    public static string LibraryPath => s_path.Value;

    /// <summary>Loads the library once per process; later calls return at once.</summary>
    public static string EnsureLoaded() => s_path.Value;

    private static string LoadOnce()
    {
        var failures = new StringBuilder();
        string? loaded = null;
        foreach (string candidate in Candidates())
        {
            if (!File.Exists(candidate))
            {
                continue;
            }

            try
            {
                s_handle = NativeLibrary.Load(candidate);
                loaded = candidate;
                break;
            }
            catch (DllNotFoundException ex)
            {
                failures.Append("\n  ").Append(candidate).Append(": ").Append(ex.Message);
            }
        }

        if (loaded is null)
        {
            throw new DllNotFoundException(
                "No librdkafka build from the librdkafka.redist package loads on this machine " +
                $"(RID {RuntimeInformation.RuntimeIdentifier}). Tried:{failures}\n" +
                "Set HOTPATH_LIBRDKAFKA_PATH to a librdkafka that loads (check its dependencies with ldd).");
        }

        // Our own [DllImport("librdkafka")] calls: bind them to the handle loaded above.
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, ResolveForTests);

        // Confluent.Kafka binds with [DllImport("librdkafka")] (then "centos8-librdkafka", "alpine-librdkafka"
        // after a DllNotFoundException), and Library.Load(path) calls dlopen through [DllImport("libdl")], a name
        // that only exists where libc6-dev installed the libdl.so symlink. A resolver on its assembly answers
        // all of those names, so it binds to the same handle without probing, on any glibc.
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Confluent.Kafka.Library).Assembly, ResolveForConfluent);
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException(
                "Confluent.Kafka already has a DllImport resolver; the tests cannot choose its librdkafka. " +
                $"Library chosen here: {loaded}", ex);
        }

        // Bind now, before any client exists: a failure surfaces here with the path instead of in a test.
        if (!Confluent.Kafka.Library.IsLoaded)
        {
            Confluent.Kafka.Library.Load(loaded);
        }

        return loaded;
    }

    private static IntPtr ResolveForTests(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == LibrdkafkaNative.LibraryName ? s_handle : IntPtr.Zero;

    private static IntPtr ResolveForConfluent(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        switch (name)
        {
            case "librdkafka":
            case "centos8-librdkafka":
            case "alpine-librdkafka":
                return s_handle;
            case "libdl" when OperatingSystem.IsLinux():
                // glibc 2.34+ keeps dlopen in libc and libdl.so.2 as a stub; both names always exist.
                return NativeLibrary.TryLoad("libdl.so.2", out IntPtr libdl) ? libdl
                    : NativeLibrary.TryLoad("libc.so.6", out IntPtr libc) ? libc
                    : IntPtr.Zero;
            default:
                return IntPtr.Zero; // default probing
        }
    }

    private static IEnumerable<string> Candidates()
    {
        string? overridePath = Environment.GetEnvironmentVariable("HOTPATH_LIBRDKAFKA_PATH");
        if (!string.IsNullOrEmpty(overridePath))
        {
            yield return overridePath;
        }

        string rid = PortableRid();
        string[] fileNames = FileNames();
        foreach (string folder in NativeFolders(rid))
        {
            foreach (string fileName in fileNames)
            {
                yield return Path.Combine(folder, fileName);
            }
        }
    }

    private static IEnumerable<string> NativeFolders(string rid)
    {
        // Build output: the SDK copies the package's runtimes/ tree next to the test assembly.
        yield return Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native");

        // NuGet cache: NUGET_PACKAGES, else the default per-user folder.
        string? packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(packages))
        {
            packages = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        }

        yield return Path.Combine(packages, "librdkafka.redist", PinnedRedistVersion, "runtimes", rid, "native");
    }

    private static string[] FileNames()
    {
        if (OperatingSystem.IsWindows())
        {
            return ["librdkafka.dll"];
        }

        if (OperatingSystem.IsMacOS())
        {
            return ["librdkafka.dylib"];
        }

        // Default build first (it has SASL/GSSAPI), then the self-contained glibc build, then musl.
        return ["librdkafka.so", "centos8-librdkafka.so", "alpine-librdkafka.so"];
    }

    private static string PortableRid()
    {
        string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        string arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.X86 => "x86",
            Architecture.Arm64 => "arm64",
            Architecture.S390x => "s390x",
            Architecture other => throw new PlatformNotSupportedException(
                $"librdkafka.redist ships no build for this architecture: ProcessArchitecture={other}"),
        };
        return os + "-" + arch;
    }
}
