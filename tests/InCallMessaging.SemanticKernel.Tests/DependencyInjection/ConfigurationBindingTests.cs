using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Tests.Core.DependencyInjection;

/// <summary>A JSON configuration in the documented shape binds, and the one-liners put the plugin on the kernel.</summary>
public sealed class ConfigurationBindingTests
{
    private const string Json = """
        {
          "InCallMessaging": {
            "PluginName": "texting",
            "MetadataKeys": [ "user_name" ],
            "MaxMessagesPerCall": 3,
            "DeduplicationCapacity": 64000,
            "Senders": {
              "default": { "Provider": "Loopback", "From": "+14155550199" },
              "whatsapp": { "Provider": "Loopback", "From": "+14155550198" }
            },
            "Actions": [
              {
                "Name": "send_otp",
                "Description": "Text the caller a one-time code when they need to verify their identity.",
                "Body": "Hi <user_name>, your code is <otp_code>.",
                "Parameters": {
                  "type": "object",
                  "properties": {
                    "otp_code": { "type": "string", "description": "The 6-digit code to send.", "pattern": "^[0-9]{6}$" },
                    "reason": { "type": "string", "description": "Why the code is needed.", "enum": [ "login", "payment" ] }
                  },
                  "required": [ "otp_code" ]
                },
                "WaitForReply": true,
                "ReplyTimeout": "00:00:30",
                "MessageBeforeAction": "I'm texting you a code now.",
                "FallbackMessage": "No text yet, let's go on."
              },
              {
                "Name": "send_booking",
                "Description": "Send the booking confirmation on WhatsApp.",
                "Channel": "WhatsApp",
                "Sender": "whatsapp",
                "Body": "Booking <booking_ref> for <user_name> is confirmed.",
                "Parameters": {
                  "type": "object",
                  "properties": { "booking_ref": { "type": "string", "description": "The booking reference." } },
                  "required": [ "booking_ref" ]
                },
                "Template": {
                  "TemplateId": "HX0123456789abcdef0123456789abcdef",
                  "Variables": { "1": "<user_name>", "2": "{{ booking_ref }}" }
                }
              },
              {
                "Name": "send_summary",
                "Description": "Text the caller a summary of what was agreed."
              }
            ]
          }
        }
        """;

    private static IConfigurationSection Section() =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(Json))).Build().GetSection(InCallMessagingOptions.SectionName);

    [Fact]
    public void Json_configuration_binds_every_documented_field()
    {
        var options = Section().Get<InCallMessagingOptions>()!;

        Assert.Equal("texting", options.PluginName);
        Assert.Equal(3, options.MaxMessagesPerCall);
        Assert.Equal(64_000, options.DeduplicationCapacity);
        Assert.Equal(["user_name"], options.MetadataKeys);
        Assert.Equal("+14155550198", options.Senders["WhatsApp"].From);
        Assert.Equal(3, options.Actions.Count);
        var otp = options.Actions[0];
        Assert.Equal(TimeSpan.FromSeconds(30), otp.ReplyTimeout);
        Assert.True(otp.WaitForReply);
        Assert.Equal(["otp_code"], otp.Parameters!.Required);
        Assert.Equal("^[0-9]{6}$", otp.Parameters.Properties["otp_code"].Pattern);
        Assert.Equal(["login", "payment"], otp.Parameters.Properties["reason"].Enum);
        var booking = options.Actions[1];
        Assert.Equal(MessageChannel.WhatsApp, booking.Channel);
        Assert.Equal("HX0123456789abcdef0123456789abcdef", booking.Template!.TemplateId);
        Assert.Equal("<user_name>", booking.Template.Variables["1"]);
        Assert.Equal("{{ booking_ref }}", booking.Template.Variables["2"]);
    }

    [Fact]
    public void Bound_configuration_produces_the_plugin_with_the_expected_functions()
    {
        var runtime = InCallMessagingRuntime.Create(Section().Get<InCallMessagingOptions>()!);

        Assert.Equal("texting", runtime.Plugin.Name);
        Assert.Equal(["send_booking", "send_otp", "send_summary"], runtime.Plugin.Select(f => f.Name).Order(StringComparer.Ordinal));
        var otp = runtime.Plugin["send_otp"].Metadata;
        Assert.Equal(["otp_code", "reason"], otp.Parameters.Select(p => p.Name));
        Assert.True(otp.Parameters[0].IsRequired);
        Assert.False(otp.Parameters[1].IsRequired);
        Assert.Equal("message", Assert.Single(runtime.Plugin["send_summary"].Metadata.Parameters).Name);
    }

    [Fact]
    public async Task Kernel_builder_one_liner_yields_a_kernel_with_the_plugin_that_sends()
    {
        var kernel = Kernel.CreateBuilder().AddInCallMessaging(Section()).Build();

        Assert.True(kernel.Plugins.TryGetPlugin("texting", out var plugin));
        Assert.Equal(3, plugin.FunctionCount);

        var runtime = kernel.GetRequiredService<InCallMessagingRuntime>();
        var session = kernel.GetRequiredService<ICallSessionRegistry>().StartCall("CA1", "+14155550100", "+14155550199",
            new Dictionary<string, string> { ["user_name"] = "Ann" });
        var result = await kernel.WithCallSession(session).InvokeAsync(plugin["send_summary"], new KernelArguments { ["message"] = "See you Friday." });

        Assert.Contains("\"status\":\"sent\"", result.GetValue<string>(), StringComparison.Ordinal);
        var sent = Assert.Single(runtime.Loopback!.SentMessages);
        Assert.Equal("See you Friday.", sent.Message.Body);
        Assert.Same(runtime.Replies, kernel.GetRequiredService<IReplyHub>());
    }

    [Fact]
    public void Service_collection_with_AddKernel_yields_kernels_with_the_plugin()
    {
        var services = new ServiceCollection();
        services.AddInCallMessaging(Section());
        services.AddKernel();
        using var provider = services.BuildServiceProvider();

        var kernel = provider.GetRequiredService<Kernel>();

        Assert.True(kernel.Plugins.TryGetPlugin("texting", out var plugin));
        Assert.Same(provider.GetRequiredService<InCallMessagingRuntime>().Plugin, plugin);
        var store = Assert.IsType<InMemoryDeduplicationStore>(provider.GetRequiredService<IDeduplicationStore>());
        Assert.Equal(64_000, store.ReservedCapacity);
    }

    private static void AddSummaryAction(InCallMessagingOptions options)
    {
        options.Senders["default"] = new MessageSenderOptions { Provider = "Loopback", From = "+14155550199" };
        options.Actions.Add(new InCallMessageAction { Name = "send_summary", Description = "Text the caller a summary." });
    }

    [Fact]
    public void The_same_configure_delegate_given_twice_adds_its_actions_once()
    {
        var services = new ServiceCollection();
        services.AddInCallMessaging(AddSummaryAction);
        Kernel.CreateBuilder().Services.AddInCallMessaging(AddSummaryAction);
        services.AddInCallMessaging(AddSummaryAction);
        services.AddInCallMessaging(options => options.Actions.Add(new InCallMessageAction { Name = "send_code", Description = "Text a code.", Body = "Code 1." }));
        using var provider = services.BuildServiceProvider();

        var runtime = provider.GetRequiredService<InCallMessagingRuntime>();

        Assert.Equal(["send_summary", "send_code"], runtime.Plugin.Select(f => f.Name));
    }
}
