using System.Globalization;
using System.Text.Json;
using HotPath.Internal;

namespace HotPath.Topics;

/// <summary>
/// Reads topic definitions in Kafka's shape from JSON: one object
/// <c>{"topic": "orders", "partitions": 3, "replicationFactor": 3}</c>, or an array of such objects.
/// </summary>
/// <remarks>
/// <para>All three fields are required and no other field is accepted (a misspelt field is an error, not a silent
/// default). <c>topic</c> follows Kafka's name rules, as <see cref="TopicOptions.Name"/> does; <c>partitions</c> and
/// <c>replicationFactor</c> are integers of at least 1; topic names are unique within a file. Comments are allowed.
/// <c>replicationFactor</c> has no effect in process; it is kept for the Kafka bridge
/// (<see cref="TopicOptions.ReplicationFactor"/>).</para>
/// <para>Every error is a <see cref="TopicDefinitionException"/> naming the file, the field and the problem. The
/// parser uses <see cref="JsonDocument"/>, no reflection, so it is trimming- and AOT-safe.</para>
/// <para>Thread-safety: stateless; any thread.</para>
/// </remarks>
public static class TopicDefinitions
{
    private const string TopicField = "topic";
    private const string PartitionsField = "partitions";
    private const string ReplicationFactorField = "replicationFactor";
    private const string KnownFields = "\"topic\", \"partitions\" and \"replicationFactor\"";

    private static readonly JsonDocumentOptions s_jsonOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = false,
    };

    /// <summary>Reads the topic definitions of a file.</summary>
    /// <param name="path">The JSON file; messages name it as given.</param>
    /// <returns>The definitions, in file order.</returns>
    /// <exception cref="TopicDefinitionException">The file is missing or unreadable, or its content is invalid.</exception>
    /// <remarks>Thread-safety: any thread.</remarks>
    public static IReadOnlyList<TopicDefinition> Load(string path)
    {
        if (path is null)
        {
            ThrowHelper.ArgumentNull(nameof(path));
        }

        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new TopicDefinitionException(path, null, $"file not found (looked for {Path.GetFullPath(path)})", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new TopicDefinitionException(path, null, $"cannot be read: {ex.Message}", ex);
        }

        return Parse(json, path);
    }

    /// <summary>Reads topic definitions from JSON text.</summary>
    /// <param name="json">One definition object, or an array of them.</param>
    /// <param name="sourceName">The name that error messages give the source, e.g. a file name.</param>
    /// <returns>The definitions, in source order.</returns>
    /// <exception cref="TopicDefinitionException">The text is not valid JSON or breaks a rule.</exception>
    /// <remarks>Thread-safety: any thread.</remarks>
    public static IReadOnlyList<TopicDefinition> Parse(string json, string sourceName)
    {
        if (json is null)
        {
            ThrowHelper.ArgumentNull(nameof(json));
        }

        if (sourceName is null)
        {
            ThrowHelper.ArgumentNull(nameof(sourceName));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, s_jsonOptions);
        }
        catch (JsonException ex)
        {
            throw new TopicDefinitionException(sourceName, null, InvalidJson(ex), ex);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            var definitions = new List<TopicDefinition>();
            switch (root.ValueKind)
            {
                case JsonValueKind.Object:
                    definitions.Add(ReadDefinition(root, sourceName, prefix: ""));
                    break;
                case JsonValueKind.Array:
                    int index = 0;
                    foreach (JsonElement element in root.EnumerateArray())
                    {
                        string at = $"[{index}]";
                        if (element.ValueKind != JsonValueKind.Object)
                        {
                            throw new TopicDefinitionException(sourceName, at, $"must be an object, was {Describe(element)}");
                        }

                        definitions.Add(ReadDefinition(element, sourceName, prefix: at + "."));
                        index++;
                    }

                    if (definitions.Count == 0)
                    {
                        throw new TopicDefinitionException(sourceName, null, "defines no topic: the array is empty");
                    }

                    break;
                default:
                    throw new TopicDefinitionException(
                        sourceName, null, $"must be a JSON object or an array of objects, was {Describe(root)}");
            }

            CheckUniqueNames(definitions, sourceName, root.ValueKind == JsonValueKind.Array);
            return definitions;
        }
    }

    private static TopicDefinition ReadDefinition(JsonElement element, string source, string prefix)
    {
        JsonElement? topic = null;
        JsonElement? partitions = null;
        JsonElement? replicationFactor = null;
        foreach (JsonProperty property in element.EnumerateObject())
        {
            ref JsonElement? slot = ref topic;
            switch (property.Name)
            {
                case TopicField:
                    break;
                case PartitionsField:
                    slot = ref partitions;
                    break;
                case ReplicationFactorField:
                    slot = ref replicationFactor;
                    break;
                default:
                    throw new TopicDefinitionException(
                        source, prefix + property.Name, $"is not a known field; a topic has exactly {KnownFields}");
            }

            if (slot is not null)
            {
                throw new TopicDefinitionException(source, prefix + property.Name, "appears twice");
            }

            slot = property.Value;
        }

        string name = ReadName(Require(topic, source, prefix + TopicField), source, prefix + TopicField);
        int partitionCount = ReadCount(Require(partitions, source, prefix + PartitionsField), source, prefix + PartitionsField);
        int replicas = ReadCount(Require(replicationFactor, source, prefix + ReplicationFactorField), source, prefix + ReplicationFactorField);
        return new TopicDefinition(name, partitionCount, replicas);
    }

    private static JsonElement Require(JsonElement? value, string source, string field) =>
        value ?? throw new TopicDefinitionException(source, field, $"is missing; a topic needs {KnownFields}");

    private static string ReadName(JsonElement value, string source, string field)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new TopicDefinitionException(source, field, $"must be a string, was {Describe(value)}");
        }

        string name = value.GetString()!;
        try
        {
            // The same rules as an in-process topic: one definition of a legal name.
            new TopicOptions { Name = name }.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new TopicDefinitionException(
                source,
                field,
                $"must be 1 to {TopicOptions.MaxNameLength} characters of [a-zA-Z0-9._-] (Kafka's topic name rules), was '{name}'",
                ex);
        }

        return name;
    }

    private static int ReadCount(JsonElement value, string source, string field)
    {
        if (value.ValueKind != JsonValueKind.Number)
        {
            throw new TopicDefinitionException(source, field, $"must be an integer, was {Describe(value)}");
        }

        if (!value.TryGetInt32(out int count))
        {
            string problem = value.TryGetDecimal(out decimal number) && decimal.Truncate(number) == number
                ? $"must be an integer from 1 to {int.MaxValue}, was {value.GetRawText()}"
                : $"must be an integer, was {value.GetRawText()}";
            throw new TopicDefinitionException(source, field, problem);
        }

        if (count < 1)
        {
            throw new TopicDefinitionException(source, field, $"must be at least 1, was {count.ToString(CultureInfo.InvariantCulture)}");
        }

        return count;
    }

    private static void CheckUniqueNames(List<TopicDefinition> definitions, string source, bool isArray)
    {
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < definitions.Count; i++)
        {
            if (!first.TryAdd(definitions[i].Topic, i))
            {
                string at = isArray ? $"[{i}].{TopicField}" : TopicField;
                throw new TopicDefinitionException(
                    source, at, $"topic '{definitions[i].Topic}' is already defined at [{first[definitions[i].Topic]}]");
            }
        }
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"a string ({value.GetRawText()})",
        JsonValueKind.Number => $"a number ({value.GetRawText()})",
        JsonValueKind.True or JsonValueKind.False => $"a boolean ({value.GetRawText()})",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => value.ValueKind.ToString(),
    };

    private static string InvalidJson(JsonException ex)
    {
        // JsonException positions are 0-based; people count lines and columns from 1.
        string reason = ex.Message;
        int cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0)
        {
            reason = reason[..cut];
        }

        return ex.LineNumber is long line
            ? $"invalid JSON at line {line + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}: {reason}"
            : $"invalid JSON: {reason}";
    }
}
