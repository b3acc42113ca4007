using VoiceBotHost.Simulator;
using InCallMessaging.SemanticKernel;
using Microsoft.SemanticKernel;
using VoiceBotHost.Llm;

namespace VoiceBotHost.Agent;

/// <summary>
/// The kernel every call starts from: SK's OpenAI connector (pointed at the configured endpoint, or at the offline
/// demo model this host serves), the in-call messaging plugin, the code-checking plugin and the booking plugin, and the
/// tool filter. Each call gets its own clone bound to its session.
/// </summary>
public sealed class AgentKernel
{
    private readonly Lazy<Kernel> _kernel;

    public AgentKernel(LlmSettings llm, InCallMessagingRuntime messaging, SelfAddress self, ILoggerFactory loggers,
        AgentToolFilter toolFilter, VerificationPlugin verification, BookingPlugin booking)
    {
        // Lazy: the demo model's URL is this host's own address, known only once the server listens.
        _kernel = new Lazy<Kernel>(() =>
        {
            var builder = Kernel.CreateBuilder();
            builder.Services.AddSingleton(loggers);
            builder.Services.AddSingleton(llm.CreateHttpClient());   // the connector's client: Llm:Timeout per request
            if (llm.UseDemoModel)
            {
                builder.AddOpenAIChatCompletion(llm.Model, self.Combine(DemoModelEndpoint.BasePath), apiKey: "demo");
            }
            else if (llm.BaseUrl is { } endpoint)
            {
                builder.AddOpenAIChatCompletion(llm.Model, endpoint, llm.ApiKey);
            }
            else
            {
                builder.AddOpenAIChatCompletion(llm.Model, llm.ApiKey!);
            }

            builder.Plugins.Add(messaging.Plugin);
            builder.Plugins.AddFromObject(verification, VerificationPlugin.PluginName);
            builder.Plugins.AddFromObject(booking, BookingPlugin.PluginName);
            // Traces each tool call and result, makes and checks one-time codes, ends a turn at a "waiting" result.
            builder.Services.AddSingleton<IAutoFunctionInvocationFilter>(toolFilter);
            return builder.Build();
        });
    }

    /// <summary>A kernel for one call: the plugin's functions find the call through it, never through a global.</summary>
    public Kernel ForCall(CallSession call) => _kernel.Value.WithCallSession(call);
}
