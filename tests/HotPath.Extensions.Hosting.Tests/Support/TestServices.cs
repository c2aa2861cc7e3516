using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HotPath.Extensions.Hosting.Tests.Support;

/// <summary>A container with AddHotPath over in-memory configuration, without a host: for the configuration and registry tests.</summary>
public sealed class TestServices : IDisposable
{
    private readonly ServiceProvider _provider;

    public TestServices(IReadOnlyDictionary<string, string?> settings, Action<HotPathBuilder> configure, Action<IServiceCollection>? more = null)
    {
        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(Log));
        services.AddHotPath(configuration.GetSection("HotPath"), configure);
        more?.Invoke(services);
        _provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    public TestLog Log { get; } = new();

    public IServiceProvider Provider => _provider;

    /// <summary>Creates the topics and groups (reads the configuration).</summary>
    public HotPathRegistry Registry => _provider.GetRequiredService<HotPathRegistry>();

    public void Dispose() => _provider.Dispose();

    /// <summary>Builds the registry from <paramref name="settings"/> and returns the configuration error it throws.</summary>
    public static HotPathConfigurationException ErrorOf(IReadOnlyDictionary<string, string?> settings, Action<HotPathBuilder> configure)
    {
        using var services = new TestServices(settings, configure);
        return Assert.Throws<HotPathConfigurationException>(() => services.Registry);
    }
}
