from django.contrib.auth.forms import UserCreationForm


class SignupForm(UserCreationForm):
    """Username and password, checked by AUTH_PASSWORD_VALIDATORS."""

    class Meta(UserCreationForm.Meta):
        fields = ("username",)
