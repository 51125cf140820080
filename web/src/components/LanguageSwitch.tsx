import { useTranslation } from 'react-i18next';

export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  const current = i18n.resolvedLanguage ?? 'en';
  return (
    <label className="language">
      {t('language')}{' '}
      <select value={current} onChange={(event) => void i18n.changeLanguage(event.target.value)}>
        <option value="en">English</option>
        <option value="fr">Français</option>
      </select>
    </label>
  );
}
