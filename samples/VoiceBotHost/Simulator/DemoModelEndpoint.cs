using VoiceBotHost.Llm;
using System.Text.Json.Nodes;

namespace VoiceBotHost.Simulator;

/// <summary>
/// Serves <see cref="DemoModel"/> as an OpenAI-compatible <c>POST /demo-llm/v1/chat/completions</c> (JSON, or SSE
/// chunks with <c>stream: true</c>), so SK's OpenAI connector talks to it exactly as it would to a hosted model.
/// </summary>
public static class DemoModelEndpoint
{
    public const string BasePath = "/demo-llm/v1";

    // A little pacing so the simulator shows the answer streaming in, as it would from a real model.
    private static readonly TimeSpan TokenPacing = TimeSpan.FromMilliseconds(12);

    public static IEndpointRouteBuilder MapDemoModel(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(BasePath + "/chat/completions", HandleAsync).ExcludeFromDescription();
        return endpoints;
    }

    private static async Task HandleAsync(HttpContext context, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("VoiceBotHost.OfflineDemoModel");
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (Exception ex) when (ex is BadHttpRequestException || (ex is OperationCanceledException && context.RequestAborted.IsCancellationRequested))
        {
            // The client gave up mid-request (a model call cancelled at shutdown, say): nobody is waiting for an answer.
            logger.LogDebug("Offline demo model: the request was abandoned before its body arrived ({Problem}).", ex.Message);
            return;
        }

        if (body is not JsonObject request || request["messages"] is not JsonArray messages)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsJsonAsync(new { error = new { message = "Expected an OpenAI chat completions request with 'messages'.", type = "invalid_request_error" } });
            return;
        }

        var tools = (request["tools"] as JsonArray ?? [])
            .Select(t => (string?)t?["function"]?["name"])
            .OfType<string>()
            .ToList();
        var answer = DemoModel.Answer(messages, tools);
        if (answer.ToolName is not null)
        {
            logger.LogInformation("Offline demo model (rule-based, not an LLM): calling tool {Tool}.", answer.ToolName);
        }
        else
        {
            logger.LogInformation("Offline demo model (rule-based, not an LLM): answering with {Length} characters of text.", answer.Text?.Length ?? 0);
        }

        var id = "chatcmpl-demo-" + Guid.NewGuid().ToString("N")[..12];
        var toolCall = answer.ToolName is null ? null : new JsonObject
        {
            ["id"] = "call_" + Guid.NewGuid().ToString("N")[..24],
            ["type"] = "function",
            ["function"] = new JsonObject { ["name"] = answer.ToolName, ["arguments"] = (answer.Arguments ?? []).ToJsonString() },
        };

        if (request["stream"]?.GetValue<bool>() == true)
        {
            await StreamAsync(context, id, answer, toolCall);
            return;
        }

        var message = new JsonObject { ["role"] = "assistant", ["content"] = toolCall is null ? answer.Text : null };
        if (toolCall is not null)
        {
            message["tool_calls"] = new JsonArray(toolCall);
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(Envelope(id, "chat.completion", new JsonObject
        {
            ["index"] = 0,
            ["message"] = message,
            ["finish_reason"] = toolCall is null ? "stop" : "tool_calls",
        }).ToJsonString(), context.RequestAborted);
    }

    private static async Task StreamAsync(HttpContext context, string id, DemoAnswer answer, JsonObject? toolCall)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var aborted = context.RequestAborted;

        async Task ChunkAsync(JsonObject delta, string? finishReason)
        {
            var chunk = Envelope(id, "chat.completion.chunk", new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finishReason });
            await context.Response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n", aborted);
            await context.Response.Body.FlushAsync(aborted);
        }

        if (toolCall is not null)
        {
            toolCall["index"] = 0;
            await ChunkAsync(new JsonObject { ["role"] = "assistant", ["tool_calls"] = new JsonArray(toolCall) }, null);
            await ChunkAsync([], "tool_calls");
        }
        else
        {
            var words = (answer.Text ?? "").Split(' ');
            for (var i = 0; i < words.Length; i++)
            {
                await ChunkAsync(new JsonObject { ["role"] = "assistant", ["content"] = i == 0 ? words[i] : " " + words[i] }, null);
                await Task.Delay(TokenPacing, aborted);
            }

            await ChunkAsync([], "stop");
        }

        await context.Response.WriteAsync("data: [DONE]\n\n", aborted);
    }

    private static JsonObject Envelope(string id, string type, JsonObject choice) => new()
    {
        ["id"] = id,
        ["object"] = type,
        ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["model"] = LlmSettings.DemoModelName,
        ["choices"] = new JsonArray(choice),
    };
}
