using HotPath.Demo;
using HotPath.Topics;

DemoOptions options;
try
{
    options = DemoOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    Console.Error.WriteLine("Run with --help for the options.");
    return 2;
}

if (options.Help)
{
    Console.WriteLine(DemoOptions.Usage);
    return 0;
}

bool live = !Console.IsOutputRedirected;
if (live)
{
    // Show the cursor again if the run is interrupted mid-frame.
    Console.CancelKeyPress += (_, _) => Console.Write("\u001b[?25h");
}

try
{
    VerificationReport report = await DemoRunner.RunAsync(options, Console.Out, live);
    return report.Passed ? 0 : 1;
}
catch (TopicDefinitionException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}
