using Microsoft.SemanticKernel;

namespace VoiceBotHost.Llm;

/// <summary>
/// Logs why a request to the model failed. What the endpoint did (it timed out, could not be reached, answered with an
/// HTTP error) is one warning line: the call goes on with an apology (or the after-call run stops) and there is nothing
/// in the code to fix. Anything else is unexpected, so it keeps its stack trace.
/// </summary>
public static class ModelFailureLog
{
    private const int MaxDetailLength = 200;

    /// <summary>What a failed turn leads to.</summary>
    public const string CallerHeardApology = "the caller heard an apology";

    /// <param name="outcome">What the failure led to, ending the line: "the caller heard an apology".</param>
    public static void Write(ILogger logger, Exception failure, string outcome = CallerHeardApology)
    {
        if (Find<TimeoutException>(failure) is not null || Find<OperationCanceledException>(failure) is not null)
        {
            // The turn itself was not cancelled (the caller neither hung up nor interrupted): the HTTP client gave up.
            logger.LogWarning("The model did not answer within Llm:Timeout; {Outcome}.", outcome);
        }
        else if (Find<HttpOperationException>(failure) is { StatusCode: { } status } http)
        {
            logger.LogWarning("The model endpoint answered {Status} ({StatusCode}): {Detail}; {Outcome}.",
                (int)status, status, Detail(http), outcome);
        }
        else if (Find<HttpRequestException>(failure) is { } unreachable)
        {
            logger.LogWarning("The model endpoint could not be reached: {Detail}; {Outcome}.", Detail(unreachable), outcome);
        }
        else
        {
            logger.LogError(failure, "The request to the model failed; {Outcome}.", outcome);
        }
    }

    private static T? Find<T>(Exception? exception)
        where T : Exception
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is T found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>The first line of the message, cut short: enough to tell a wrong key from a wrong model name.</summary>
    private static string Detail(Exception exception)
    {
        var line = exception.Message.Split('\n', 2)[0].Trim();
        return line.Length <= MaxDetailLength ? line : line[..MaxDetailLength] + "…";
    }
}
