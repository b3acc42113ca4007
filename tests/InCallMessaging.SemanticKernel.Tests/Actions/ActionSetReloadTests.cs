using System.Text.Json.Nodes;
using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Tests.Actions;

/// <summary>
/// Actions that change at run time (issue 17, point 2): a configuration reload swaps the action set after validation,
/// an invalid one is logged and rejected, calls in progress keep their set, and a call can have its own set.
/// </summary>
public sealed class ActionSetReloadTests : IDisposable
{
    private const string Section = "InCallMessaging";
    private readonly List<ServiceProvider> _hosts = [];
    private readonly FakeLoggerProvider _logs = new();
    private int _calls;

    public void Dispose()
    {
        foreach (var host in _hosts)
        {
            host.Dispose();
        }

        _logs.Dispose();
    }

    private static Dictionary<string, string?> Configuration() => new()
    {
        [$"{Section}:Senders:default:Provider"] = "Loopback",
        [$"{Section}:Senders:default:From"] = TestRuntime.Agent,
        [$"{Section}:Actions:0:Name"] = "send_otp",
        [$"{Section}:Actions:0:Description"] = "Text the caller a one-time code.",
        [$"{Section}:Actions:0:Body"] = "Your code is <otp_code>.",
        [$"{Section}:Actions:0:Parameters:properties:otp_code:type"] = "string",
        [$"{Section}:Actions:0:Parameters:properties:otp_code:description"] = "The 6-digit code to send.",
        [$"{Section}:Actions:0:Parameters:required:0"] = "otp_code",
    };

    private InCallMessagingRuntime Start(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(_logs));
        services.AddInCallMessaging(configuration.GetSection(Section));
        var host = services.BuildServiceProvider();
        _hosts.Add(host);
        return host.GetRequiredService<InCallMessagingRuntime>();
    }

    private CallSession StartCall(InCallMessagingRuntime runtime) =>
        runtime.Calls.StartCall($"CA{Interlocked.Increment(ref _calls):D32}", TestRuntime.Caller, TestRuntime.Agent);

    /// <summary>Invokes an action as the model would, on a kernel built once from the runtime's plugin and bound to the call.</summary>
    private static async Task<JsonNode> InvokeAsync(Kernel kernel, CallSession session, string action, KernelArguments arguments)
    {
        var callKernel = kernel.WithCallSession(session);
        var function = callKernel.Plugins.TryGetFunction("messaging", action, out var offered) ? offered : kernel.Plugins["messaging"][action];
        var result = await function.InvokeAsync(callKernel, arguments);
        return JsonNode.Parse(result.GetValue<string>()!)!;
    }

    private static Kernel KernelWith(InCallMessagingRuntime runtime)
    {
        var kernel = new Kernel();
        kernel.Plugins.Add(runtime.Plugin);
        return kernel;
    }

    [Fact]
    public async Task A_reloaded_json_file_swaps_the_actions_for_new_calls_while_a_call_in_progress_keeps_its_own()
    {
        var directory = Directory.CreateTempSubdirectory("incall-reload-");
        try
        {
            var file = Path.Combine(directory.FullName, "appsettings.json");
            await File.WriteAllTextAsync(file, Json(otpBody: "Your code is <otp_code>.", withSummary: false));
            var configuration = new ConfigurationBuilder().SetBasePath(directory.FullName)
                .AddJsonFile("appsettings.json", optional: false, reloadOnChange: true).Build();
            var runtime = Start(configuration);
            var kernel = KernelWith(runtime);
            var before = StartCall(runtime);
            var reloaded = new TaskCompletionSource<InCallActionSet>(TaskCreationOptions.RunContinuationsAsynchronously);
            runtime.ActionsReloaded += set => reloaded.TrySetResult(set);

            await File.WriteAllTextAsync(file, Json(otpBody: "Code: <otp_code>. Never share it.", withSummary: true));
            var set = await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(60));

            // A file watcher may report one write twice: each report compiles the same actions again (a newer version).
            Assert.True(set.Version >= 2, $"version {set.Version}");
            Assert.True(runtime.Actions.Version >= set.Version);
            Assert.Equal(["send_otp", "send_summary"], runtime.Actions.ActionNames);
            Assert.Contains(kernel.Plugins["messaging"], f => f.Name == "send_summary");   // the kernel built before sees the reload
            var after = StartCall(runtime);
            Assert.Equal(["send_otp", "send_summary"], after.Actions!.ActionNames);
            Assert.True(after.Actions.Version >= 2);
            Assert.Equal(1, before.Actions!.Version);
            Assert.Equal(["send_otp"], before.Actions.ActionNames);

            await InvokeAsync(kernel, before, "send_otp", new() { ["otp_code"] = "111111" });
            await InvokeAsync(kernel, after, "send_otp", new() { ["otp_code"] = "222222" });
            var summary = await InvokeAsync(kernel, before, "send_summary", new() { ["message"] = "Booked for Tuesday." });

            Assert.Equal(["Your code is 111111.", "Code: 222222. Never share it."], runtime.Loopback!.SentMessages.Select(m => m.Message.Body));
            Assert.Equal("blocked", (string?)summary["status"]);
            Assert.Equal("not_available", (string?)summary["reason"]);
            Assert.Equal(2, runtime.Loopback.SentMessages.Count);
        }
        finally
        {
            directory.Delete(recursive: true);
        }

        static string Json(string otpBody, bool withSummary) => new JsonObject
        {
            [Section] = new JsonObject
            {
                ["Senders"] = new JsonObject { ["default"] = new JsonObject { ["Provider"] = "Loopback", ["From"] = TestRuntime.Agent } },
                ["Actions"] = new JsonArray([
                    new JsonObject
                    {
                        ["Name"] = "send_otp",
                        ["Description"] = "Text the caller a one-time code.",
                        ["Body"] = otpBody,
                        ["Parameters"] = JsonNode.Parse("""{"properties":{"otp_code":{"type":"string","description":"The 6-digit code to send."}},"required":["otp_code"]}"""),
                    },
                    .. withSummary ? [new JsonObject { ["Name"] = "send_summary", ["Description"] = "Text the caller a summary." }] : Array.Empty<JsonNode>(),
                ]),
            },
        }.ToJsonString();
    }

    [Fact]
    public void An_invalid_reload_is_rejected_with_every_problem_logged_and_the_running_set_kept()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Configuration()).Build();
        var runtime = Start(configuration);
        var running = runtime.Actions;
        configuration[$"{Section}:Actions:0:Body"] = "Your code is <otp_cod>.";          // a placeholder nothing supplies
        configuration[$"{Section}:Actions:1:Name"] = "send_summary";                     // no description
        configuration[$"{Section}:Actions:1:Sender"] = "nowhere";                        // no such sender

        configuration.Reload();

        Assert.Same(running, runtime.Actions);
        var rejected = Assert.Single(_logs.Collector.GetSnapshot(), r => r.Level == LogLevel.Error);
        Assert.Contains("rejected", rejected.Message, StringComparison.Ordinal);
        Assert.Contains("otp_cod", rejected.Message, StringComparison.Ordinal);
        Assert.Contains("nowhere", rejected.Message, StringComparison.Ordinal);
        Assert.Contains("Description", rejected.Message, StringComparison.Ordinal);
        Assert.Equal(["send_otp"], StartCall(runtime).Actions!.ActionNames);

        configuration[$"{Section}:Actions:0:Body"] = "Your code is <otp_code>!";
        configuration[$"{Section}:Actions:1:Description"] = "Text the caller a summary.";
        configuration[$"{Section}:Actions:1:Sender"] = "default";
        configuration.Reload();

        Assert.Equal(running.Version + 1, runtime.Actions.Version);
        Assert.Equal(["send_otp", "send_summary"], runtime.Actions.ActionNames);
    }

    [Fact]
    public void A_reload_that_renames_the_plugin_is_rejected()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Configuration()).Build();
        var runtime = Start(configuration);
        configuration[$"{Section}:PluginName"] = "texting";

        configuration.Reload();

        Assert.Equal(1, runtime.Actions.Version);
        Assert.Equal("messaging", runtime.Plugin.Name);
        Assert.Contains(_logs.Collector.GetSnapshot(), r => r.Level == LogLevel.Error && r.Message.Contains("PluginName cannot change", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_call_given_a_filtered_set_is_offered_only_those_actions_and_refuses_the_others()
    {
        var runtime = TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp(), TestRuntime.Summary()));
        var kernel = KernelWith(runtime);
        var session = StartCall(runtime);

        session.Actions = runtime.Actions.Where(action => action.Name != "send_summary");

        Assert.Equal(["send_otp"], kernel.WithCallSession(session).Plugins["messaging"].Select(f => f.Name));
        Assert.Equal(["send_otp", "send_summary"], kernel.WithCallSession(StartCall(runtime)).Plugins["messaging"].Select(f => f.Name));
        var refused = await kernel.Plugins["messaging"]["send_summary"].InvokeAsync(kernel.WithCallSession(session), new() { ["message"] = "hi" });
        Assert.Equal("not_available", (string?)JsonNode.Parse(refused.GetValue<string>()!)!["reason"]);
        Assert.Empty(runtime.Loopback!.SentMessages);
    }

    [Fact]
    public async Task A_call_can_have_extra_actions_defined_in_code_or_bound_from_configuration()
    {
        var runtime = TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp(), TestRuntime.Summary()));
        var tenants = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tenants:acme:Actions:0:Name"] = "send_directions",
            ["Tenants:acme:Actions:0:Description"] = "Text the caller directions to the clinic.",
            ["Tenants:acme:Actions:0:Body"] = "Acme Clinic, 1 Main St. Parking at the back.",
        }).Build();

        var inCode = runtime.CreateActionSet(
            [new InCallMessageAction { Name = "send_menu", Description = "Text the caller the menu.", Body = "Menu: soup, salad." }],
            filter: action => action.Name == "send_otp");
        var fromConfiguration = runtime.CreateActionSet(tenants.GetSection("Tenants:acme:Actions"), filter: null);

        Assert.Equal(["send_otp", "send_menu"], inCode.ActionNames);
        Assert.Equal(["send_otp", "send_summary", "send_directions"], fromConfiguration.ActionNames);
        Assert.Equal(["send_otp", "send_summary"], runtime.Actions.ActionNames);     // the running set is untouched
        var session = StartCall(runtime);
        session.Actions = fromConfiguration;
        var callKernel = KernelWith(runtime).WithCallSession(session);
        var result = await callKernel.Plugins["messaging"]["send_directions"].InvokeAsync(callKernel);
        Assert.Equal("sent", (string?)JsonNode.Parse(result.GetValue<string>()!)!["status"]);
        Assert.Equal("Acme Clinic, 1 Main St. Parking at the back.", Assert.Single(runtime.Loopback!.SentMessages).Message.Body);
    }

    [Fact]
    public void Invalid_extra_actions_fail_with_every_problem_listed()
    {
        var runtime = TestRuntime.Create(TestRuntime.Options(TestRuntime.Otp()));

        var error = Assert.Throws<InCallMessagingConfigurationException>(() => runtime.CreateActionSet(
        [
            new InCallMessageAction { Name = "send_otp", Description = "A second send_otp." },
            new InCallMessageAction { Name = "send_menu", Description = "Text the menu.", Sender = "nowhere" },
        ], filter: null));

        Assert.True(error.Errors.Count >= 2, string.Join(Environment.NewLine, error.Errors));
        Assert.Contains(error.Errors, e => e.Contains("send_otp", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("nowhere", StringComparison.Ordinal));
    }
}
