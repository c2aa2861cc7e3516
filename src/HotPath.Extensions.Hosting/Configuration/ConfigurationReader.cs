using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace HotPath.Extensions.Hosting.Configuration;

/// <summary>
/// Strict reads of configuration values, by hand over <see cref="IConfigurationSection"/> (no reflection binder, so
/// trimming and NativeAOT keep working): every unknown key, unknown name or unparsable value throws a
/// <see cref="HotPathConfigurationException"/> naming the key path, the rule and the value.
/// </summary>
/// <remarks>Thread-safety: stateless; any thread.</remarks>
internal static class ConfigurationReader
{
    /// <summary>Throws for a value where a section (an object of keys) is expected, and for any key not in <paramref name="allowed"/>.</summary>
    /// <param name="section">The section.</param>
    /// <param name="allowed">The keys it may hold (compared without case, as configuration keys are).</param>
    public static void CheckSection(IConfigurationSection section, IReadOnlyList<string> allowed)
    {
        if (section.Value is not null)
        {
            throw new HotPathConfigurationException(section.Path, $"must be a section of keys ({string.Join(", ", allowed)}), was the value '{section.Value}'");
        }

        foreach (IConfigurationSection child in section.GetChildren())
        {
            if (!allowed.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new HotPathConfigurationException(child.Path, $"unknown key '{child.Key}': the keys here are {string.Join(", ", allowed)}");
            }
        }
    }

    /// <summary>
    /// The child <paramref name="key"/> of <paramref name="parent"/>, spelled as the configuration spells it (keys
    /// compare without case), so that error paths show the user's own key.
    /// </summary>
    /// <param name="parent">The parent section.</param>
    /// <param name="key">The key.</param>
    /// <returns>The child section (one that does not exist when the key is absent).</returns>
    public static IConfigurationSection Child(IConfigurationSection parent, string key) =>
        parent.GetChildren().FirstOrDefault(c => string.Equals(c.Key, key, StringComparison.OrdinalIgnoreCase)) ?? parent.GetSection(key);

    /// <summary>The elements of an array section (keys 0, 1, ...), in index order; empty when the key is absent.</summary>
    /// <param name="parent">The parent section.</param>
    /// <param name="key">The array's key.</param>
    /// <returns>The elements.</returns>
    public static IReadOnlyList<IConfigurationSection> Array(IConfigurationSection parent, string key)
    {
        IConfigurationSection section = Child(parent, key);
        if (!section.Exists())
        {
            return [];
        }

        if (section.Value is not null)
        {
            throw new HotPathConfigurationException(section.Path, $"must be an array, was the value '{section.Value}'");
        }

        var elements = new List<(int Index, IConfigurationSection Section)>();
        foreach (IConfigurationSection child in section.GetChildren())
        {
            if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            {
                throw new HotPathConfigurationException(child.Path, $"must be an array element (keys 0, 1, ...), was the key '{child.Key}'");
            }

            elements.Add((index, child));
        }

        elements.Sort(static (a, b) => a.Index.CompareTo(b.Index));
        return [.. elements.Select(e => e.Section)];
    }

    /// <summary>The strings of an array of values, or null when the key is absent.</summary>
    /// <param name="parent">The parent section.</param>
    /// <param name="key">The array's key.</param>
    /// <returns>The values with their paths, or null.</returns>
    public static IReadOnlyList<(string Value, string Path)>? Strings(IConfigurationSection parent, string key)
    {
        if (!Child(parent, key).Exists())
        {
            return null;
        }

        return [.. Array(parent, key).Select(e => (Scalar(e), e.Path))];
    }

    /// <summary>A string value, or null when the key is absent.</summary>
    /// <param name="parent">The parent section.</param>
    /// <param name="key">The key.</param>
    /// <returns>The value, or null.</returns>
    public static string? String(IConfigurationSection parent, string key)
    {
        IConfigurationSection section = Child(parent, key);
        return section.Exists() ? Scalar(section) : null;
    }

    /// <summary>A required string value, not empty.</summary>
    /// <param name="parent">The parent section.</param>
    /// <param name="key">The key.</param>
    /// <returns>The value.</returns>
    public static string RequiredString(IConfigurationSection parent, string key)
    {
        string? value = String(parent, key);
        if (string.IsNullOrEmpty(value))
        {
            throw new HotPathConfigurationException(
                Child(parent, key).Path, value is null ? "is required" : "must not be empty, was ''");
        }

        return value;
    }

    /// <summary>A 32-bit integer, or null when the key is absent.</summary>
    /// <param name="parent">The parent section.</param>
    /// <param name="key">The key.</param>
    /// <returns>The value, or null.</returns>
    public static int? Int32(IConfigurationSection parent, string key) =>
        Parse<int>(parent, key, "an integer", static s => int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) ? v : (int?)null);

    /// <summary>A 64-bit integer, or null when the key is absent.</summary>
    /// <param name="parent">The parent section.</param>
    /// <param name="key">The key.</param>
    /// <returns>The value, or null.</returns>
    public static long? Int64(IConfigurationSection parent, string key) =>
        Parse<long>(parent, key, "an integer", static s => long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) ? v : (long?)null);

    /// <summary>A boolean (<c>true</c> or <c>false</c>), or null when the key is absent.</summary>
    /// <param name="parent">The parent section.</param>
    /// <param name="key">The key.</param>
    /// <returns>The value, or null.</returns>
    public static bool? Boolean(IConfigurationSection parent, string key) =>
        Parse<bool>(parent, key, "true or false", static s => bool.TryParse(s, out bool v) ? v : (bool?)null);

    /// <summary>A duration in the invariant <c>[d.]hh:mm:ss[.fffffff]</c> form (as the configuration binder reads a <see cref="TimeSpan"/>), or null when the key is absent.</summary>
    /// <param name="parent">The parent section.</param>
    /// <param name="key">The key.</param>
    /// <returns>The value, or null.</returns>
    public static TimeSpan? Duration(IConfigurationSection parent, string key) =>
        Parse<TimeSpan>(parent, key, "a duration such as 00:00:05 ([d.]hh:mm:ss[.fffffff])", static s =>
            s.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out TimeSpan v) ? v : (TimeSpan?)null);

    /// <summary>One of a fixed set of names (compared without case), or null when the key is absent.</summary>
    /// <typeparam name="TValue">What a name stands for.</typeparam>
    /// <param name="parent">The parent section.</param>
    /// <param name="key">The key.</param>
    /// <param name="names">The names and their values.</param>
    /// <returns>The value named, or null.</returns>
    public static TValue? Named<TValue>(IConfigurationSection parent, string key, IReadOnlyList<KeyValuePair<string, TValue>> names)
        where TValue : notnull
    {
        string? value = String(parent, key);
        if (value is null)
        {
            return default;
        }

        foreach (KeyValuePair<string, TValue> name in names)
        {
            if (string.Equals(name.Key, value, StringComparison.OrdinalIgnoreCase))
            {
                return name.Value;
            }
        }

        throw new HotPathConfigurationException(
            Child(parent, key).Path, $"must be one of {string.Join(", ", names.Select(n => n.Key))}, was '{value}'");
    }

    private static TValue? Parse<TValue>(IConfigurationSection parent, string key, string rule, Func<string, TValue?> parse)
        where TValue : struct
    {
        IConfigurationSection section = Child(parent, key);
        if (!section.Exists())
        {
            return null;
        }

        string value = Scalar(section);
        return parse(value.Trim()) ?? throw new HotPathConfigurationException(section.Path, $"must be {rule}, was '{value}'");
    }

    /// <summary>The value of a section that must hold a value, not keys.</summary>
    private static string Scalar(IConfigurationSection section) =>
        section.Value ?? throw new HotPathConfigurationException(
            section.Path, $"must be a value, was a section with the keys {string.Join(", ", section.GetChildren().Select(c => c.Key))}");
}
