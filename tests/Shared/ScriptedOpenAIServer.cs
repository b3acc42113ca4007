using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InCallMessaging.Testing;

/// <summary>
/// A scripted OpenAI-compatible chat completions server on 127.0.0.1 for tests: it answers each request with the next
/// scripted turn (tool calls or text, streamed or not), records every request body, and rejects what OpenAI rejects:
/// a <c>tool</c> message that does not answer the <c>tool_calls</c> of the assistant message right before it.
/// </summary>
public sealed class ScriptedOpenAIServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Func<JsonObject, ScriptedTurn>> _script = new();
    private readonly List<JsonObject> _requests = [];
    private int _callSequence;

    private ScriptedOpenAIServer(WebApplication app) => _app = app;

    /// <summary>The base URL to give SK's OpenAI connector, ending in <c>/v1</c>.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Every request body received, in order.</summary>
    public IReadOnlyList<JsonObject> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Requests the server refused as OpenAI would (broken tool-call ordering).</summary>
    public List<string> Rejections { get; } = [];

    public static async Task<ScriptedOpenAIServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new ScriptedOpenAIServer(app);
        app.MapPost("/v1/chat/completions", server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Endpoint = new Uri(address.TrimEnd('/') + "/v1");
        return server;
    }

    /// <summary>Queues the answer to the next request.</summary>
    public ScriptedOpenAIServer Then(ScriptedTurn turn) => Then(_ => turn);

    /// <summary>Queues an answer computed from the request it answers.</summary>
    public ScriptedOpenAIServer Then(Func<JsonObject, ScriptedTurn> turn)
    {
        _script.Enqueue(turn);
        return this;
    }

    /// <summary>The <c>tools</c> array of a request, as sent.</summary>
    public static JsonArray? ToolsOf(JsonObject request) => request["tools"] as JsonArray;

    /// <summary>The <c>messages</c> array of a request.</summary>
    public static JsonArray MessagesOf(JsonObject request) => (JsonArray)request["messages"]!;

    /// <summary>The content of the last <c>tool</c> message of a request.</summary>
    public static string? LastToolResult(JsonObject request) =>
        MessagesOf(request).LastOrDefault(m => (string?)m!["role"] == "tool")?["content"]?.ToString();

    private async Task HandleAsync(HttpContext context)
    {
        var request = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
        lock (_requests)
        {
            _requests.Add(request);
        }

        if (FindOrderingProblem(MessagesOf(request)) is { } problem)
        {
            lock (Rejections)
            {
                Rejections.Add(problem);
            }

            context.Response.StatusCode = 400;
            await context.Response.WriteAsJsonAsync(new { error = new { message = problem, type = "invalid_request_error", code = (string?)null } });
            return;
        }

        var turn = _script.TryDequeue(out var next) ? next(request) : ScriptedTurn.Text("(script exhausted)");
        var stream = request["stream"]?.GetValue<bool>() == true;
        if (stream)
        {
            await WriteStreamAsync(context, turn);
        }
        else
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(Completion(turn).ToJsonString());
        }
    }

    private static string? FindOrderingProblem(JsonArray messages)
    {
        HashSet<string>? open = null;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i]!;
            var role = (string?)message["role"];
            if (role == "tool")
            {
                var id = (string?)message["tool_call_id"];
                if (open is null || id is null || !open.Remove(id))
                {
                    return $"Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls' (message {i}).";
                }

                continue;
            }

            if (open is { Count: > 0 })
            {
                return $"An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: {string.Join(", ", open)} (message {i}).";
            }

            open = null;
            if (role == "assistant" && message["tool_calls"] is JsonArray calls)
            {
                open = [.. calls.Select(c => (string)c!["id"]!)];
            }
        }

        return null;
    }

    private JsonObject Completion(ScriptedTurn turn)
    {
        var message = new JsonObject { ["role"] = "assistant", ["content"] = turn.Content };
        if (turn.ToolCalls.Count > 0)
        {
            message["tool_calls"] = new JsonArray([.. turn.ToolCalls.Select(c => (JsonNode)ToolCall(c, NextCallId()))]);
        }

        return new JsonObject
        {
            ["id"] = "chatcmpl-test",
            ["object"] = "chat.completion",
            ["created"] = 1_700_000_000,
            ["model"] = "test",
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = message,
                ["finish_reason"] = turn.ToolCalls.Count > 0 ? "tool_calls" : "stop",
            }),
            ["usage"] = new JsonObject { ["prompt_tokens"] = 1, ["completion_tokens"] = 1, ["total_tokens"] = 2 },
        };
    }

    private async Task WriteStreamAsync(HttpContext context, ScriptedTurn turn)
    {
        context.Response.ContentType = "text/event-stream";
        async Task Chunk(JsonObject delta, string? finish)
        {
            var chunk = new JsonObject
            {
                ["id"] = "chatcmpl-test",
                ["object"] = "chat.completion.chunk",
                ["created"] = 1_700_000_000,
                ["model"] = "test",
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
            };
            await context.Response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n");
            await context.Response.Body.FlushAsync();
        }

        if (turn.ToolCalls.Count > 0)
        {
            var index = 0;
            foreach (var call in turn.ToolCalls)
            {
                var toolCall = ToolCall(call, NextCallId());
                toolCall["index"] = index++;
                await Chunk(new JsonObject { ["role"] = "assistant", ["tool_calls"] = new JsonArray(toolCall) }, null);
            }

            await Chunk(new JsonObject(), "tool_calls");
        }
        else
        {
            var words = (turn.Content ?? "").Split(' ');
            for (var i = 0; i < words.Length; i++)
            {
                await Chunk(new JsonObject { ["role"] = "assistant", ["content"] = i == 0 ? words[i] : " " + words[i] }, null);
            }

            await Chunk(new JsonObject(), "stop");
        }

        await context.Response.WriteAsync("data: [DONE]\n\n");
    }

    private static JsonObject ToolCall(ScriptedToolCall call, string id) => new()
    {
        ["id"] = id,
        ["type"] = "function",
        ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = call.ArgumentsJson },
    };

    private string NextCallId() => "call_" + Interlocked.Increment(ref _callSequence).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One scripted model answer: text, or tool calls.</summary>
public sealed record ScriptedTurn(string? Content, IReadOnlyList<ScriptedToolCall> ToolCalls)
{
    public static ScriptedTurn Text(string content) => new(content, []);

    /// <summary>Calls one tool; <paramref name="name"/> is the full tool name, such as <c>messaging-send_otp</c>.</summary>
    public static ScriptedTurn Call(string name, object? arguments = null) =>
        new(null, [new ScriptedToolCall(name, JsonSerializer.Serialize(arguments ?? new { }))]);
}

/// <summary>One tool call in a scripted turn.</summary>
public sealed record ScriptedToolCall(string Name, string ArgumentsJson);
