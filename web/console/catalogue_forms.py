"""The catalogue pages' forms, and the conversions between them and ``ledger.catalogue``."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional, Regexp

from ledger.catalogue.texts import VariantIn
from ledger.models import EditionStatus, TextSet, VariantStatus
from ledger.models.text import LANGUAGES

STATUS_CHOICES = [(VariantStatus.DRAFT.value, "draft"), (VariantStatus.REVIEWED.value, "reviewed")]
LANGUAGE_NAMES = {"kk": "Kazakh (kk)", "ru": "Russian (ru)", "en": "English (en)"}
LANGUAGE_CHOICES = [(lang, LANGUAGE_NAMES[lang]) for lang in LANGUAGES]


class VariantsForm(Form):
    """One short text in kk/ru/en, each with its review status (blank = missing)."""

    kk = StringField(LANGUAGE_NAMES["kk"], validators=[Optional(), Length(max=500)])
    kk_status = SelectField("Review status (kk)", choices=STATUS_CHOICES, default="draft")
    ru = StringField(LANGUAGE_NAMES["ru"], validators=[Optional(), Length(max=500)])
    ru_status = SelectField("Review status (ru)", choices=STATUS_CHOICES, default="draft")
    en = StringField(LANGUAGE_NAMES["en"], validators=[Optional(), Length(max=500)])
    en_status = SelectField("Review status (en)", choices=STATUS_CHOICES, default="draft")


class LongVariantsForm(Form):
    """One longer text in kk/ru/en (a description, a story's summary)."""

    kk = TextAreaField(LANGUAGE_NAMES["kk"], validators=[Optional(), Length(max=10_000)])
    kk_status = SelectField("Review status (kk)", choices=STATUS_CHOICES, default="draft")
    ru = TextAreaField(LANGUAGE_NAMES["ru"], validators=[Optional(), Length(max=10_000)])
    ru_status = SelectField("Review status (ru)", choices=STATUS_CHOICES, default="draft")
    en = TextAreaField(LANGUAGE_NAMES["en"], validators=[Optional(), Length(max=10_000)])
    en_status = SelectField("Review status (en)", choices=STATUS_CHOICES, default="draft")


def variants_in(subform: Any) -> dict[str, VariantIn]:
    """The ledger's view of a submitted VariantsForm."""
    return {
        lang: VariantIn(getattr(subform, lang).data,
                        VariantStatus(getattr(subform, f"{lang}_status").data))
        for lang in LANGUAGES
    }


def variants_data(text_set: TextSet | None) -> dict[str, str | None]:
    """A VariantsForm's initial data from a stored text."""
    data: dict[str, str | None] = {}
    for lang in LANGUAGES:
        variant = text_set.variant(lang) if text_set is not None else None
        if variant is None or variant.status == VariantStatus.MISSING:
            data[lang], data[f"{lang}_status"] = "", VariantStatus.DRAFT.value
        else:
            data[lang], data[f"{lang}_status"] = variant.text, variant.status.value
    return data


class ArtistForm(FlaskForm):
    name = FormField(VariantsForm, label="Name")


KEY_HINT = "Leave blank to make one from the name. Lower-case letters a-z, digits and '-'."


def _key_field(label: str) -> StringField:
    return StringField(label, validators=[
        Optional(), Length(max=64),
        Regexp(r"^[a-z0-9][a-z0-9-]*$",
               message="Lower-case letters a-z, digits and '-', starting with a letter or digit.")])


class NewArtistForm(ArtistForm):
    key = _key_field("Key (in the catalogue file and the console's addresses)")


class ArtworkForm(FlaskForm):
    title = FormField(VariantsForm, label="Title")
    artists = SelectMultipleField("Artists (in order of credit)", validators=[DataRequired()],
                                  choices=[])
    year = IntegerField("Year", validators=[Optional(), NumberRange(1000, 9999)])
    medium = FormField(VariantsForm, label="Medium and technique")
    dimensions_text = StringField("Dimensions as shown", validators=[Optional(), Length(max=200)])
    height_cm = DecimalField("Height (cm)", places=2,
                             validators=[Optional(), NumberRange(min=0.01, max=999999)])
    width_cm = DecimalField("Width (cm)", places=2,
                            validators=[Optional(), NumberRange(min=0.01, max=999999)])
    depth_cm = DecimalField("Depth (cm)", places=2,
                            validators=[Optional(), NumberRange(min=0.01, max=999999)])
    description = FormField(LongVariantsForm, label="Description")


class NewArtworkForm(ArtworkForm):
    key = _key_field("Key (in the catalogue file and the console's addresses)")


class StoryForm(FlaskForm):
    subject_name = StringField("First name or pseudonym",
                               validators=[DataRequired(), Length(max=100)])
    is_subject_name_public = BooleanField("Show the name publicly")
    public_summary = FormField(LongVariantsForm, label="Public summary")
    is_summary_public = BooleanField("Show the summary publicly (without it nothing is shown)")
    content_note = FormField(VariantsForm, label="Content note")
    consent_statement = TextAreaField("Consent statement",
                                      validators=[Optional(), Length(max=5000)])
    is_consent_statement_public = BooleanField("Show the consent statement publicly")
    is_deceased = BooleanField("Deceased")
    is_deceased_public = BooleanField("Say publicly that she died")
    private_notes = TextAreaField("Private notes (never public)",
                                  validators=[Optional(), Length(max=10_000)])


class ImageForm(FlaskForm):
    image = FileField("Image (JPEG, PNG or WebP, at most 5 MB)",
                      validators=[FileRequired("Choose an image file.")])
    alt = FormField(VariantsForm, label="Alt text (what the image shows)")


class AltForm(FlaskForm):
    alt = FormField(VariantsForm, label="Alt text")


class EditionStatusForm(FlaskForm):
    status = SelectField("Status", choices=[(s.value, s.value) for s in EditionStatus],
                         validators=[DataRequired()])


class BeneficiaryForm(FlaskForm):
    name = FormField(VariantsForm, label="Name")
    is_verified = BooleanField("Verified (registration and bank details checked)")
    legal_identifier = StringField("Registration number (never public)",
                                   validators=[Optional(), Length(max=100)])
    bank_reference = StringField("Bank details (never public)",
                                 validators=[Optional(), Length(max=200)])


class NewBeneficiaryForm(BeneficiaryForm):
    key = _key_field("Key (in the catalogue file, reports and account names)")


class WalletForm(FlaskForm):
    chain_id = IntegerField("Chain id (BNB Smart Chain: 56)", default=56,
                            validators=[DataRequired(), NumberRange(min=1)])
    address = StringField("Address", validators=[
        DataRequired(), Regexp(r"^\s*0x[0-9a-fA-F]{40}\s*$", message="0x and 40 hex digits.")])


class UpdateForm(FlaskForm):
    reported_on = DateField("Date of the report", validators=[DataRequired()])
    text_kk = TextAreaField("Text (kk)", validators=[Optional(), Length(max=1000)])
    used_for_kk = StringField("What the money was used for (kk)",
                              validators=[Optional(), Length(max=300)])
    text_ru = TextAreaField("Text (ru)", validators=[Optional(), Length(max=1000)])
    used_for_ru = StringField("What the money was used for (ru)",
                              validators=[Optional(), Length(max=300)])
    text_en = TextAreaField("Text (en)", validators=[Optional(), Length(max=1000)])
    used_for_en = StringField("What the money was used for (en)",
                              validators=[Optional(), Length(max=300)])
    document = FileField("Document (PDF, JPEG, PNG or WebP, at most 8 MB)",
                         validators=[FileRequired("Attach the report's document.")])


class PublishForm(FlaskForm):
    published = HiddenField(validators=[DataRequired(), AnyOf(["1", "0"])])


class HotlineForm(FlaskForm):
    number = StringField("Number", validators=[
        DataRequired(), Regexp(r"^[0-9+ ()-]{2,40}$", message="Digits, spaces, + ( ) - only.")])
    name = FormField(VariantsForm, label="Name")
    region = StringField("Region", validators=[DataRequired(), Length(max=100)])
    languages = SelectMultipleField("Languages spoken", choices=LANGUAGE_CHOICES,
                                    validators=[DataRequired()])
    hours = StringField("Hours", validators=[Optional(), Length(max=100)])
    is_emergency = BooleanField("Emergency number")
    since = DateField("In service since", validators=[Optional()])
    last_checked = DateField("Last checked on", validators=[DataRequired()])
    source = StringField("Checked where (a web page, a phone call)",
                         validators=[DataRequired(), Length(max=300)])


class ShareRowForm(Form):
    recipient = SelectField("Recipient", choices=[], validate_choice=False)
    bps = IntegerField("Basis points", validators=[Optional(), NumberRange(1, 10_000)])


SHARE_ROWS = 6


class SplitRuleForm(FlaskForm):
    scope = SelectField("Applies to", choices=[
        ("initiative", "the whole initiative"), ("collection", "a collection"),
        ("artwork", "an artwork"), ("edition", "an edition")], validators=[DataRequired()])
    target = StringField("Collection or artwork key, or artwork#edition",
                         validators=[Optional(), Length(max=100)])
    effective_from = DateTimeLocalField("In force from (local time)",
                                        format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    remainder = SelectField("Receives the rounding remainder", choices=[],
                            validators=[DataRequired()])
    shares = FieldList(FormField(ShareRowForm), min_entries=SHARE_ROWS, max_entries=SHARE_ROWS)
    note = StringField("Note", validators=[Optional(), Length(max=300)])


class CatalogueUploadForm(FlaskForm):
    file = FileField("Catalogue file (.toml)", validators=[FileRequired("Choose a file.")])


class CatalogueCommitForm(FlaskForm):
    sha256 = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{64}$")])
