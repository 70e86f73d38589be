from django import forms

from metrics.models import MetricSeries, SeriesKind


class SeriesForm(forms.Form):
    slug = forms.SlugField(
        max_length=50, help_text="Lower-case letters, digits and underscores, e.g. quotes_sent."
    )
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=SeriesKind.choices)
    unit = forms.CharField(max_length=30, required=False)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CsvUploadForm(forms.Form):
    file = forms.FileField(help_text="CSV, UTF-8, up to 5 MB.")


class BaselineForm(forms.Form):
    series = forms.ModelChoiceField(queryset=MetricSeries.objects.none(), to_field_name="slug")
    value = forms.FloatField(
        min_value=0, help_text="The legacy system's figure per day (a mean for durations)."
    )
    business_unit = forms.CharField(max_length=100, required=False)
    geography = forms.CharField(max_length=100, required=False)
    object = forms.CharField(
        label="Object or process", max_length=100, required=False, help_text="Set one dimension at most."
    )
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["series"].queryset = MetricSeries.objects.filter(programme=programme)


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="The pipeline that will use it, e.g. Event Monitoring export."
    )


class ThresholdForm(forms.Form):
    kpi = forms.CharField(widget=forms.HiddenInput)
    green = forms.FloatField()
    red = forms.FloatField()
    green_high = forms.FloatField(required=False)
