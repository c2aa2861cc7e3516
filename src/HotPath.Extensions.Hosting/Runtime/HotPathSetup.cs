using Microsoft.Extensions.Configuration;

namespace HotPath.Extensions.Hosting.Runtime;

/// <summary>What <c>AddHotPath</c> registered: the configuration section and the code's topics and groups.</summary>
/// <param name="Section">The <c>HotPath</c> section, or null.</param>
/// <param name="Topics">The topics, in registration order.</param>
/// <param name="Groups">The groups, in registration order.</param>
/// <remarks>Thread-safety: immutable once <c>AddHotPath</c> returned.</remarks>
internal sealed record HotPathSetup(IConfigurationSection? Section, IReadOnlyList<ITopicRegistration> Topics, IReadOnlyList<IGroupRegistration> Groups);
