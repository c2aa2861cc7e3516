using HotPath.Extensions.Hosting.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HotPath.Extensions.Hosting;

/// <summary>Registers HotPath topics, consumer groups and their hosted service in a service collection.</summary>
/// <remarks>Thread-safety: use while registering services.</remarks>
public static class HotPathServiceCollectionExtensions
{
    /// <summary>
    /// Registers the topics and groups <paramref name="configure"/> declares, with their options read from
    /// <paramref name="configuration"/> (the <c>HotPath</c> section: <c>Topics</c> and <c>Groups</c> arrays), the
    /// <see cref="HotPathRegistry"/>, and a hosted service that creates them when the host starts (a bad configuration
    /// fails the start, naming the key), starts the members, and drains at shutdown: publishing stops (topics
    /// complete), groups drain, members stop, bounded by the host's shutdown token.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The <c>HotPath</c> section, e.g. <c>builder.Configuration.GetSection("HotPath")</c>.</param>
    /// <param name="configure">Declares topics (with their event types) and groups (with their handlers).</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="InvalidOperationException"><c>AddHotPath</c> was already called on this collection.</exception>
    /// <remarks>Thread-safety: not thread-safe; use while registering services.</remarks>
    public static IServiceCollection AddHotPath(this IServiceCollection services, IConfigurationSection configuration, Action<HotPathBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return Add(services, configuration, configure);
    }

    /// <summary>
    /// Registers the topics and groups <paramref name="configure"/> declares, with options from code only (no
    /// configuration section); otherwise as <see cref="AddHotPath(IServiceCollection, IConfigurationSection, Action{HotPathBuilder})"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Declares topics and groups.</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="InvalidOperationException"><c>AddHotPath</c> was already called on this collection.</exception>
    /// <remarks>Thread-safety: not thread-safe; use while registering services.</remarks>
    public static IServiceCollection AddHotPath(this IServiceCollection services, Action<HotPathBuilder> configure) =>
        Add(services, null, configure);

    private static IServiceCollection Add(IServiceCollection services, IConfigurationSection? configuration, Action<HotPathBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        if (services.Any(d => d.ServiceType == typeof(HotPathSetup)))
        {
            throw new InvalidOperationException("AddHotPath was already called on this service collection: declare every topic and group in one call");
        }

        var builder = new HotPathBuilder(services);
        configure(builder);
        builder.RegisterUnkeyed();
        var setup = new HotPathSetup(configuration, builder.Topics, builder.Groups);
        TimeSpan? drainTimeout = builder.DrainTimeoutValue;
        services.AddSingleton(setup);
        services.AddSingleton(static sp => new HotPathRegistry(
            sp.GetRequiredService<HotPathSetup>(),
            sp,
            (sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("HotPath")));
        services.AddSingleton<IHostedService>(sp => new HotPathHostedService(sp, drainTimeout));
        return services;
    }
}
