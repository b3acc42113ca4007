using VoiceBotHost;
using VoiceBotHost.Demo;
using VoiceBotHost.Logging;
using VoiceBotHost.Smoke;

// dotnet run -- demo: one scripted call end to end in the console, then exit (0 when it worked).
if (args.Length > 0 && args[0] == "demo")
{
    return await ConsoleDemo.RunAsync(Console.Out);
}

// dotnet run -- smoke [https://your-public-url]: check a running host's webhooks from the outside (0 when they answer right).
if (args.Length > 0 && args[0] == "smoke")
{
    return await WebhookSmokeTest.RunAsync(args[1..], Console.Out);
}

WebApplication app;
try
{
    app = VoiceBotApp.Build(args);
    await app.StartAsync();
}
catch (Exception ex) when (StartupFailure.TryDescribe(ex, out var lines))
{
    // Configuration problems, all of them, and a port in use: what to fix, without a stack trace.
    foreach (var line in lines)
    {
        Console.Error.WriteLine(line);
    }

    return 1;
}

// The last lines of the start-up output: the model, the mode, and the simulator's URL (or the webhook URLs).
StartupBanner.Print(app);
await app.WaitForShutdownAsync();
await app.DisposeAsync();
return 0;
