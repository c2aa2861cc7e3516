using HotPath.Partitioning;
using HotPath.Topics;

namespace HotPath.Tests.Topics;

public class TopicDefinitionsTests
{
    [Fact]
    public void Parse_SingleObject_ReturnsOneDefinition()
    {
        var definitions = TopicDefinitions.Parse("""{"topic": "orders", "partitions": 3, "replicationFactor": 3}""", "topics.json");

        Assert.Equal([new TopicDefinition("orders", 3, 3)], definitions);
    }

    [Fact]
    public void Parse_Array_ReturnsDefinitionsInOrder()
    {
        const string json = """
            [
              // comments are allowed
              { "topic": "orders", "partitions": 3, "replicationFactor": 3 },
              { "replicationFactor": 1, "partitions": 1, "topic": "orders.dlq" }
            ]
            """;

        var definitions = TopicDefinitions.Parse(json, "topics.json");

        Assert.Equal([new TopicDefinition("orders", 3, 3), new TopicDefinition("orders.dlq", 1, 1)], definitions);
    }

    [Fact]
    public void Load_File_ReadsIt()
    {
        string path = Path.Combine(Path.GetTempPath(), $"topics-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"topic": "orders", "partitions": 2, "replicationFactor": 1}""");
        try
        {
            Assert.Equal([new TopicDefinition("orders", 2, 1)], TopicDefinitions.Load(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_MissingFile_NamesTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.json");

        var error = Assert.Throws<TopicDefinitionException>(() => TopicDefinitions.Load(path));

        Assert.Equal(path, error.File);
        Assert.Null(error.Field);
        Assert.StartsWith("file not found", error.Problem);
        Assert.StartsWith($"{path}: file not found", error.Message);
    }

    [Fact]
    public void Parse_InvalidJson_GivesLineAndByte()
    {
        const string json = "[\n  { \"topic\": \"orders\" \"partitions\": 3 }\n]";

        var error = Assert.Throws<TopicDefinitionException>(() => TopicDefinitions.Parse(json, "topics.json"));

        Assert.Equal("topics.json", error.File);
        Assert.Null(error.Field);
        Assert.StartsWith("invalid JSON at line 2, byte 23: ", error.Problem);
        Assert.DoesNotContain("LineNumber", error.Problem);
    }

    [Theory]
    [InlineData("\"orders\"", "must be a JSON object or an array of objects, was a string (\"orders\")")]
    [InlineData("3", "must be a JSON object or an array of objects, was a number (3)")]
    [InlineData("[]", "defines no topic: the array is empty")]
    public void Parse_WrongRoot_NamesTheProblem(string json, string problem)
    {
        var error = Assert.Throws<TopicDefinitionException>(() => TopicDefinitions.Parse(json, "topics.json"));

        Assert.Null(error.Field);
        Assert.Equal(problem, error.Problem);
        Assert.Equal($"topics.json: {problem}", error.Message);
    }

    [Theory]
    [InlineData("""{"partitions": 3, "replicationFactor": 3}""", "topic", "is missing; a topic needs \"topic\", \"partitions\" and \"replicationFactor\"")]
    [InlineData("""{"topic": "orders", "replicationFactor": 3}""", "partitions", "is missing; a topic needs \"topic\", \"partitions\" and \"replicationFactor\"")]
    [InlineData("""{"topic": "orders", "partitions": 3}""", "replicationFactor", "is missing; a topic needs \"topic\", \"partitions\" and \"replicationFactor\"")]
    [InlineData("""{"topic": 7, "partitions": 3, "replicationFactor": 3}""", "topic", "must be a string, was a number (7)")]
    [InlineData("""{"topic": "orders", "partitions": "3", "replicationFactor": 3}""", "partitions", "must be an integer, was a string (\"3\")")]
    [InlineData("""{"topic": "orders", "partitions": 2.5, "replicationFactor": 3}""", "partitions", "must be an integer, was 2.5")]
    [InlineData("""{"topic": "orders", "partitions": 1e12, "replicationFactor": 3}""", "partitions", "must be an integer from 1 to 2147483647, was 1e12")]
    [InlineData("""{"topic": "orders", "partitions": 3, "replicationFactor": null}""", "replicationFactor", "must be an integer, was null")]
    [InlineData("""{"topic": "orders", "partitions": 0, "replicationFactor": 3}""", "partitions", "must be at least 1, was 0")]
    [InlineData("""{"topic": "orders", "partitions": 3, "replicationFactor": 0}""", "replicationFactor", "must be at least 1, was 0")]
    [InlineData("""{"topic": "orders", "partitions": 3, "replicationFactor": -2}""", "replicationFactor", "must be at least 1, was -2")]
    [InlineData("""{"topic": "orders", "partitions": 3, "replicas": 3}""", "replicas", "is not a known field; a topic has exactly \"topic\", \"partitions\" and \"replicationFactor\"")]
    [InlineData("""{"topic": "orders", "partitions": 3, "partitions": 4, "replicationFactor": 3}""", "partitions", "appears twice")]
    [InlineData("""{"topic": "has space", "partitions": 3, "replicationFactor": 3}""", "topic", "must be 1 to 249 characters of [a-zA-Z0-9._-] (Kafka's topic name rules), was 'has space'")]
    [InlineData("""{"topic": "", "partitions": 3, "replicationFactor": 3}""", "topic", "must be 1 to 249 characters of [a-zA-Z0-9._-] (Kafka's topic name rules), was ''")]
    public void Parse_InvalidObject_NamesFieldAndProblem(string json, string field, string problem)
    {
        var error = Assert.Throws<TopicDefinitionException>(() => TopicDefinitions.Parse(json, "topics.json"));

        Assert.Equal("topics.json", error.File);
        Assert.Equal(field, error.Field);
        Assert.Equal(problem, error.Problem);
        Assert.Equal($"topics.json: {field}: {problem}", error.Message);
        Assert.IsAssignableFrom<FormatException>(error);
    }

    [Theory]
    [InlineData("""[{"topic": "a", "partitions": 1, "replicationFactor": 1}, 5]""", "[1]", "must be an object, was a number (5)")]
    [InlineData("""[{"topic": "a", "partitions": 1, "replicationFactor": 1}, {"topic": "b", "partitions": 0, "replicationFactor": 1}]""", "[1].partitions", "must be at least 1, was 0")]
    [InlineData("""[{"topic": "a", "partitions": 1, "replicationFactor": 1}, {"topic": "a", "partitions": 2, "replicationFactor": 1}]""", "[1].topic", "topic 'a' is already defined at [0]")]
    [InlineData("""[{"topic": "a", "partitions": 1, "replicationFactor": 1, "retention": 7}]""", "[0].retention", "is not a known field; a topic has exactly \"topic\", \"partitions\" and \"replicationFactor\"")]
    public void Parse_InvalidArrayElement_NamesItsIndex(string json, string field, string problem)
    {
        var error = Assert.Throws<TopicDefinitionException>(() => TopicDefinitions.Parse(json, "topics.json"));

        Assert.Equal(field, error.Field);
        Assert.Equal(problem, error.Problem);
    }

    [Fact]
    public void Parse_LongestLegalName_IsAccepted()
    {
        string name = new('x', TopicOptions.MaxNameLength);

        var definitions = TopicDefinitions.Parse($$"""{"topic": "{{name}}", "partitions": 1, "replicationFactor": 1}""", "t.json");

        Assert.Equal(name, definitions[0].Topic);
    }

    [Fact]
    public void ToOptions_CarriesShapeAndReplicationFactor_IntoAWorkingTopic()
    {
        var definition = new TopicDefinition("orders", 3, 3);

        TopicOptions options = definition.ToOptions(capacity: 256, partitioner: Partitioner.Kafka);
        using var topic = new Topic<Support.TestEvent>(options);

        Assert.Equal(("orders", 3, 3, 256), (options.Name, options.PartitionCount, options.ReplicationFactor, options.Capacity));
        Assert.Same(Partitioner.Kafka, options.Partitioner);
        Assert.Equal(3, topic.PartitionCount);
    }
}
