using InCallMessaging.SemanticKernel;
using Microsoft.Extensions.Options;
using VoiceBotHost;
using VoiceBotHost.Demo;
using VoiceBotHost.Llm;

// dotnet run -- demo: one scripted call end to end in the console, then exit (0 when it worked).
if (args.Length > 0 && args[0] == "demo")
{
    return await ConsoleDemo.RunAsync(Console.Out);
}

WebApplication app;
try
{
    app = VoiceBotApp.Build(args);
    await app.StartAsync();
}
catch (Exception ex) when (ex is InvalidOperationException or OptionsValidationException or InCallMessagingConfigurationException)
{
    // Configuration problems: say what to fix, without a stack trace.
    Console.Error.WriteLine($"VoiceBotHost cannot start: {ex.Message}");
    return 1;
}

var settings = app.Services.GetRequiredService<VoiceBotSettings>();
Console.WriteLine();
Console.WriteLine($"  LLM: {app.Services.GetRequiredService<LlmSettings>().Describe()}");
if (settings.Offline)
{
    Console.WriteLine("  Messaging: offline (loopback provider, development-only Twilio token)");
    Console.WriteLine($"  Call simulator: {VoiceBotApp.SimulatorUrl(app)}");
}
else
{
    var publicBase = settings.PublicBaseUrl?.ToString().TrimEnd('/') ?? "https://<your public URL>";
    Console.WriteLine($"  Voice webhook:     {publicBase}/voice/incoming");
    Console.WriteLine($"  Messaging webhook: {publicBase}/twilio/messages");
}

Console.WriteLine("  Press Ctrl+C to stop.");
Console.WriteLine();
await app.WaitForShutdownAsync();
await app.DisposeAsync();
return 0;
