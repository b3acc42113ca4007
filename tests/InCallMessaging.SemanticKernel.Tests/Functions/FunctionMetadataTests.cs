using InCallMessaging.SemanticKernel.Tests.TestSupport;
using Microsoft.SemanticKernel;

namespace InCallMessaging.SemanticKernel.Tests.Core.Functions;

/// <summary>What the LLM sees: function names, descriptions and parameter schemas come from the actions.</summary>
public sealed class FunctionMetadataTests
{
    private static KernelFunctionMetadata MetadataOf(InCallMessageAction action) =>
        InCallMessagingRuntime.Create(TestRuntime.Options(action)).Plugin[action.Name].Metadata;

    [Fact]
    public void Function_name_description_and_plugin_come_from_the_action_and_options()
    {
        var options = TestRuntime.Options(TestRuntime.Otp(), TestRuntime.Summary());
        options.PluginName = "texting";
        options.PluginDescription = "Texts the caller.";

        var plugin = InCallMessagingRuntime.Create(options).Plugin;

        Assert.Equal("texting", plugin.Name);
        Assert.Equal("Texts the caller.", plugin.Description);
        Assert.Equal(TestRuntime.Otp().Description, plugin["send_otp"].Description);
        Assert.Equal(TestRuntime.Summary().Description, plugin["send_summary"].Description);
        Assert.Equal("texting", plugin["send_otp"].Metadata.PluginName);
    }

    [Fact]
    public void Parameters_come_from_the_schema_with_descriptions_and_required_flags()
    {
        var action = TestRuntime.Otp();
        action.Parameters!.Properties["reason"] = new ActionParameter
        {
            Description = "Why the caller needs the code.",
            Enum = ["login", "payment"],
        };
        action.Parameters.Properties["attempts"] = new ActionParameter { Type = "integer", Description = "How many codes were sent." };
        action.Parameters.Properties["otp_code"].Pattern = "^[0-9]{6}$";
        action.Body = "Your code is <otp_code>.";

        var metadata = MetadataOf(action);

        Assert.Equal(["otp_code", "reason", "attempts"], metadata.Parameters.Select(p => p.Name));
        var otp = metadata.Parameters[0];
        Assert.Equal("The 6-digit code to send.", otp.Description);
        Assert.True(otp.IsRequired);
        Assert.False(metadata.Parameters[1].IsRequired);
        Assert.False(metadata.Parameters[2].IsRequired);

        var otpSchema = otp.Schema!.RootElement;
        Assert.Equal("string", otpSchema.GetProperty("type").GetString());
        Assert.Equal("The 6-digit code to send.", otpSchema.GetProperty("description").GetString());
        Assert.Equal("^[0-9]{6}$", otpSchema.GetProperty("pattern").GetString());
        var reasonSchema = metadata.Parameters[1].Schema!.RootElement;
        Assert.Equal("Why the caller needs the code.", reasonSchema.GetProperty("description").GetString());
        Assert.Equal(["login", "payment"], reasonSchema.GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("integer", metadata.Parameters[2].Schema!.RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public void Action_without_body_gets_a_required_message_parameter()
    {
        var metadata = MetadataOf(TestRuntime.Summary());

        var message = Assert.Single(metadata.Parameters);
        Assert.Equal("message", message.Name);
        Assert.True(message.IsRequired);
        Assert.False(string.IsNullOrWhiteSpace(message.Description));
        Assert.Equal(message.Description, message.Schema!.RootElement.GetProperty("description").GetString());
    }

    [Fact]
    public void Action_with_a_body_has_no_message_parameter()
    {
        var metadata = MetadataOf(TestRuntime.Otp());

        Assert.DoesNotContain(metadata.Parameters, p => p.Name == "message");
        Assert.Equal("otp_code", Assert.Single(metadata.Parameters).Name);
    }

    [Fact]
    public void WhatsApp_action_with_only_a_template_has_no_message_parameter()
    {
        var action = new InCallMessageAction
        {
            Name = "send_welcome",
            Description = "Send the WhatsApp welcome template.",
            Channel = MessageChannel.WhatsApp,
            Sender = "whatsapp",
            Template = new WhatsAppTemplate { TemplateId = "HX0123456789abcdef0123456789abcdef" },
        };

        Assert.Empty(MetadataOf(action).Parameters);
    }

    [Fact]
    public void Return_parameter_is_a_described_string()
    {
        var metadata = MetadataOf(TestRuntime.Otp());

        Assert.Equal(typeof(string), metadata.ReturnParameter.ParameterType);
        Assert.Contains("status", metadata.ReturnParameter.Description, StringComparison.Ordinal);
    }
}
