using System.Net.Sockets;
using InCallMessaging.SemanticKernel;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace VoiceBotHost.Logging;

/// <summary>
/// Turns a failed start into what to fix: every configuration problem on a line of its own (options validation
/// collects them all), or the port that is taken. Anything else is a bug, and keeps its stack trace.
/// </summary>
public static class StartupFailure
{
    /// <summary>The lines to print for <paramref name="failure"/>, or false when it is not a known start-up problem.</summary>
    public static bool TryDescribe(Exception failure, out IReadOnlyList<string> lines)
    {
        lines = [];
        IReadOnlyList<Exception> failures = failure is AggregateException aggregate ? aggregate.Flatten().InnerExceptions : [failure];
        if (failures is [IOException { InnerException: AddressInUseException or SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } } portTaken])
        {
            lines = [$"VoiceBotHost cannot start: {portTaken.Message} Stop the other process on that port, or add --urls http://127.0.0.1:5081 to the command."];
            return true;
        }

        var problems = new List<string>();
        foreach (var each in failures)
        {
            switch (each)
            {
                case OptionsValidationException options:
                    problems.AddRange(options.Failures);
                    break;
                case InCallMessagingConfigurationException configuration:
                    problems.AddRange(configuration.Errors);
                    break;
                case InvalidOperationException:
                    // The host's own checks (the Twilio mode, PublicBaseUrl, Llm:*) explain themselves in their message.
                    problems.Add(each.Message);
                    break;
                default:
                    return false;
            }
        }

        lines =
        [
            $"VoiceBotHost cannot start: the configuration has {problems.Count} problem{(problems.Count == 1 ? "" : "s")}:",
            .. problems.Select(problem => $"  - {problem}"),
            "Fix them in samples/VoiceBotHost/appsettings.json, user secrets or environment variables (see samples/VoiceBotHost/README.md).",
        ];
        return true;
    }
}
